"""Content-addressed storage of raw messages and documents."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import Blob
from dossiers.sql import insert_ignoring_conflict


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_blob(session: Session, data: bytes, now: datetime) -> str:
    """Store `data` once under its SHA-256 and return the hash."""
    digest = sha256_hex(data)
    exists = session.execute(select(Blob.sha256).where(Blob.sha256 == digest)).first()
    if exists is None:
        insert_ignoring_conflict(
            session, Blob, {"sha256": digest, "size": len(data), "data": data, "created_at": now}, ["sha256"]
        )
    return digest


def get_blob(session: Session, digest: str) -> bytes:
    blob = session.get(Blob, digest)
    if blob is None:
        raise KeyError(f"blob {digest} not found")
    return blob.data
