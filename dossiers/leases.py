"""Release leases held by daemon processes on this host that are no longer running.

A process killed hard (SIGKILL, power loss) leaves its leases behind; they would expire
on their own, but a restarted daemon frees them at once so work resumes without waiting.
Leases of other hosts are left to expire.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dossiers.models import InboundMessage, OutboxItem

logger = logging.getLogger(__name__)


def release_dead_leases(session: Session, hostname: str, now: datetime) -> int:
    released = 0
    for model in (InboundMessage, OutboxItem):
        owners = session.execute(
            select(model.lease_owner).where(model.lease_owner.like(f"{hostname}:%"), model.lease_until > now).distinct()
        ).scalars()
        for owner in list(owners):
            if owner is None or _pid_alive(owner.rsplit(":", 1)[1]):
                continue
            result = session.execute(
                update(model).where(model.lease_owner == owner).values(lease_owner=None, lease_until=None)
            )
            released += result.rowcount
            logger.warning("released %s leases of stopped process %s", result.rowcount, owner)
    session.commit()
    return released


def _pid_alive(pid_text: str) -> bool:
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
