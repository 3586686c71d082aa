"""Everything a worker needs, built once from the settings at start-up."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from daemon.clock import Clock
from daemon.message_ids import MessageIdSigner, load_or_create_secret
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
    signer: MessageIdSigner
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
            signer=MessageIdSigner(_secret(settings), settings.agency.message_id_domain),
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


def _secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    # Only SQLite gets here (settings reject PostgreSQL without a key): keep the key
    # beside the database file, so every process of this installation shares it.
    database = Path(settings.database_url.split("///", 1)[1]) if "///" in settings.database_url else Path("var/incasso.db")
    return load_or_create_secret(database.parent / "secret.key")
