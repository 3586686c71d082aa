"""Logging set-up: one format for every worker, with the item being worked on.

Workers set `correlation` to the message or dossier they handle, and every log line
written meanwhile carries it, so one grep follows an item through the daemon. Lines
carry ids only, never names, addresses or IBANs.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar

correlation: ContextVar[str] = ContextVar("correlation", default="-")


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation = correlation.get()
        return True


@contextlib.contextmanager
def working_on(item: str) -> Iterator[None]:
    token = correlation.set(item)
    try:
        yield
    finally:
        correlation.reset(token)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)-8s %(name)s [%(correlation)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("weasyprint", "fontTools", "pdfminer", "imapclient", "mail-parser", "mailparser", "alembic", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
