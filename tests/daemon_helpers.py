"""Helpers for tests that run the real `incasso` command and read its database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dossiers.db import make_engine, make_session_factory
from dossiers.models import Dossier, InboundMessage, Letter, OutboxItem

REPO = Path(__file__).resolve().parents[1]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `incasso ARGS` in a fresh process with `env` added to the environment."""
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "daemon.cli", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_json(args: list[str], env: dict[str, str]) -> Any:
    result = run_cli([*args, "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass
class StoreSnapshot:
    """Counts that a second run of the daemon must leave unchanged."""

    messages: int
    outcomes: Counter[str]
    dossiers: int
    letters: int
    outbox: int
    outbox_sent: int


def snapshot(database_url: str) -> StoreSnapshot:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            outcomes = Counter(
                f"{row.status}:{row.outcome}" for row in session.execute(select(InboundMessage)).scalars()
            )
            return StoreSnapshot(
                messages=session.scalar(select(func.count()).select_from(InboundMessage)) or 0,
                outcomes=outcomes,
                dossiers=session.scalar(select(func.count()).select_from(Dossier)) or 0,
                letters=session.scalar(select(func.count()).select_from(Letter)) or 0,
                outbox=session.scalar(select(func.count()).select_from(OutboxItem)) or 0,
                outbox_sent=session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "sent")) or 0,
            )
    finally:
        engine.dispose()


def read_outbox_mails(outbox_dir: Path) -> list[Any]:
    """Parse every .eml the folder transport wrote."""
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted((outbox_dir / "mail").glob("*.eml"))
    ]


def register_clients(database_url: str, clients: dict[str, str]) -> None:
    """Register each e-mail address (key) as a client with the given name (value)."""
    from datetime import datetime, timezone

    from dossiers.clients import register_client
    from dossiers.migrate import upgrade

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            for email, name in clients.items():
                register_client(session, email, name=name, now=datetime.now(timezone.utc), by="test")
            session.commit()
    finally:
        engine.dispose()


def example_clients(mails: Any) -> dict[str, str]:
    """The clients of generated example mails, as register_clients expects them."""
    return {mail.client.email: mail.client.name for mail in mails}
