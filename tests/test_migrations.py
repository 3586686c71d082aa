"""The Alembic migrations create exactly the schema the models describe, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dossiers.db import make_engine
from dossiers.migrate import current_revision, upgrade
from dossiers.schema import metadata


def test_upgrade_creates_the_model_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        head = current_revision(engine)
        assert head is not None

        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert differences == []
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())

        upgrade(engine)  # a second upgrade is a no-op
        assert current_revision(engine) == head
    finally:
        engine.dispose()
