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
    primary_key = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    statement = (
        module.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys).returning(*primary_key)
    )
    # rowcount is not reliable here (psycopg reports -1 with RETURNING); a returned row is.
    return session.execute(statement).first() is not None
