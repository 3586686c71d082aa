"""Password reset by a one-time link mailed through the outbox, for staff and client users.

A request for an unknown or inactive address does nothing, and the web page shows
the same message either way, so the form does not reveal which addresses have an account. While a
link younger than `RESET_INTERVAL` is unused, no second one is sent. An IP address that
made `MAX_RESETS_PER_IP` requests within the login throttle window gets no link until
the window has passed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daemon.context import DaemonContext
from dossiers.models import Event
from dossiers.users import THROTTLE_WINDOW, PasswordToken, find_user, issue_token, normalise_email
from daemon.invitations import queue_invitation

logger = logging.getLogger(__name__)

RESET_INTERVAL = timedelta(minutes=10)
MAX_RESETS_PER_IP = 10


def request_reset(context: DaemonContext, session: Session, email: str, *, ip: str, now: datetime) -> bool:
    """Queue a reset link when the address has an active account; return whether one was queued."""
    address = normalise_email(email)
    recent_from_ip = session.execute(
        select(func.count()).select_from(Event).where(Event.kind == "password_reset_requested", Event.at > now - THROTTLE_WINDOW, Event.data["ip"].as_string() == ip[:64])
    ).scalar_one()
    session.add(Event(kind="password_reset_requested", actor=address[:100], at=now, data={"ip": ip[:64]}))
    if recent_from_ip >= MAX_RESETS_PER_IP:
        logger.warning("password reset throttled for ip %s", ip[:64])
        return False
    user = find_user(session, address)
    if user is None or not user.active:
        return False
    pending = session.execute(
        select(PasswordToken.id).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None), PasswordToken.created_at > now - RESET_INTERVAL
        )
    ).first()
    if pending is not None:
        logger.info("password reset for user %s skipped: an unused link is less than %s old", user.id, RESET_INTERVAL)
        return False
    invitation = issue_token(session, user, now=now, purpose="reset" if user.password_hash else "invite")
    queue_invitation(context, session, invitation, now=now, actor=address, purpose="reset")
    logger.info("password reset link queued for user %s", user.id)
    return True
