"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflict(session: Session, model: type, values: dict[str, Any], keys: list[str]) -> bool:
    """INSERT a row unless one with the same `keys` exists; return True if inserted.

    Safe when several processes insert the same row at once: the loser's INSERT does
    nothing instead of failing the whole transaction.
    """
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    result = session.execute(statement)
    return bool(result.rowcount)
