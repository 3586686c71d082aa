"""The key that signs the desk's session cookies, derived from the installation's secret."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from daemon.message_ids import load_or_create_secret
from daemon.settings import Settings


def installation_secret(settings: Settings) -> bytes:
    """Return INCASSO_SECRET_KEY, or on SQLite the key file beside the database (as the daemon does)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    database = Path(settings.database_url.split("///", 1)[1]) if "///" in settings.database_url else Path("var/incasso.db")
    return load_or_create_secret(database.parent / "secret.key")


def session_secret(settings: Settings) -> bytes:
    # A key of its own, so a leaked session key does not also sign Message-IDs.
    return hmac.new(installation_secret(settings), b"incasso web session", hashlib.sha256).digest()
