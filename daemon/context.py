"""Everything a worker needs, built once from the settings at start-up."""

from __future__ import annotations

import logging
import socket
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from daemon.clock import Clock
from daemon.settings import TEMPLATES_DIR, Settings
from daemon.templating import make_environment
from dossiers.db import make_engine, make_session_factory

logger = logging.getLogger(__name__)


@dataclass
class DaemonContext:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    templates: Environment
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @classmethod
    def from_settings(cls, settings: Settings) -> DaemonContext:
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            clock=Clock(settings.today),
            engine=engine,
            sessions=make_session_factory(engine),
            templates=make_environment(TEMPLATES_DIR),
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.settings.agency.from_address.lower()})

    @property
    def templates_dir(self) -> Path:
        return TEMPLATES_DIR

    def close(self) -> None:
        self.engine.dispose()
