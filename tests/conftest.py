"""Shared fixtures: a migrated database on SQLite or PostgreSQL, and daemon settings.

Tests that take the `database_url` fixture run twice, once per store. PostgreSQL is
expected on 127.0.0.1:5432 with trust authentication (as on the CI machine); each test
gets a database of its own, dropped afterwards. Without a reachable server the
PostgreSQL variant is skipped with the reason, unless INCASSO_REQUIRE_POSTGRES=1 (set by
CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest


POSTGRES_ADMIN_URL = os.environ.get("INCASSO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'incasso.db'}"
        return
    yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'incasso.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def _postgres_database() -> Iterator[str]:
    import psycopg

    try:
        admin = _postgres_admin()
    except psycopg.OperationalError as error:
        if os.environ.get("INCASSO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error}")
    name = f"incasso_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def daemon_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Environment for an embedded-default daemon in `tmp_path` on the given store."""
    return {
        "INCASSO_DATABASE_URL": database_url,
        "INCASSO_MAILDIR": str(tmp_path / "maildir"),
        "INCASSO_OUTBOX_DIR": str(tmp_path / "outbox"),
        "INCASSO_TODAY": TODAY.isoformat(),
        "INCASSO_POLL_SECONDS": "0.5",
        "INCASSO_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
    }


# The day the tests pretend it is: a Friday, so letters are issued on a working day.
TODAY = date(2026, 12, 4)
