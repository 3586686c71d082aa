"""Every model module, imported for its tables; the migrations compare against this.

A module that defines tables on `dossiers.models.Base` must be imported here, so that
Alembic and the schema test see its tables.
"""

from __future__ import annotations

from dossiers import corrections, ledger, models
from dossiers import users
from dossiers import totp

metadata = models.Base.metadata

__all__ = ["corrections", "ledger", "metadata", "models", "totp", "users"]
