"""Optional second login factor: time-based one-time passwords (TOTP, RFC 6238).

A user switches TOTP on in two steps: `start_enrolment` stores a fresh secret that is
not yet enabled, and `enable` switches it on once the user sends a current code from
the authenticator app. A code is accepted for the current 30-second step and one step
either side. The last step that was accepted is stored, and a code for that step or
an earlier one is rejected, so a code cannot be replayed.

The secret is stored in plain base32 because the authenticator needs the same secret
and the database is the trust boundary. It is never logged.

Code checks take the real Unix time (`unix_time`) because the authenticator app runs
on real time, while audit timestamps (`now`) come from the daemon's clock, which tests
may pin to another day.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ForeignKey, Integer, String, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from dossiers.models import Base, Event, UtcDateTime
from dossiers.users import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_IP,
    THROTTLE_WINDOW,
    LoginAttempt,
    LoginFailed,
    LoginThrottled,
    User,
    UserError,
    recent_failures,
)

logger = logging.getLogger(__name__)

ISSUER = "Incassobureau"
STEP_SECONDS = 30
VALID_WINDOW = 1  # number of steps accepted either side of the current one
CODE_DIGITS = 6


class UserTotp(Base):
    """The TOTP secret of one user. `enabled_at` is None until the user confirms enrolment with a code."""

    __tablename__ = "user_totp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))  # base32
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    enabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_step: Mapped[int | None] = mapped_column(Integer)


class TotpError(UserError):
    """A TOTP change that cannot be made. The message is Dutch, for the user."""


def totp_row(session: Session, user_id: int) -> UserTotp | None:
    return session.execute(select(UserTotp).where(UserTotp.user_id == user_id)).scalar_one_or_none()


def is_enabled(session: Session, user_id: int) -> bool:
    row = totp_row(session, user_id)
    return row is not None and row.enabled_at is not None


def start_enrolment(session: Session, user: User, *, now: datetime) -> UserTotp:
    """Store a new, not yet enabled secret for `user`, replacing an unconfirmed one."""
    row = totp_row(session, user.id)
    if row is not None and row.enabled_at is not None:
        raise TotpError("Tweestapsverificatie staat al aan. Zet haar eerst uit om een nieuwe sleutel te maken.")
    if row is None:
        row = UserTotp(user_id=user.id)
        session.add(row)
    row.secret = pyotp.random_base32()
    row.created_at = now
    row.enabled_at = None
    row.last_used_step = None
    session.flush()
    session.add(Event(kind="totp_enrolment_started", actor=user.email[:100], at=now, data={"user_id": user.id}))
    return row


def provisioning_uri(row: UserTotp, email: str) -> str:
    """Return the otpauth:// URI that an authenticator app reads from the QR code."""
    return pyotp.TOTP(row.secret, digits=CODE_DIGITS, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """Render `uri` as an inline SVG QR code (no XML declaration, so it fits in HTML)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, title="QR-code voor de authenticator-app")


def _accepted_step(row: UserTotp, code: str, unix_time: float, *, allow_used: bool = False) -> int | None:
    """Return the time step `code` is valid for, or None when it is wrong or (unless `allow_used`) already used."""
    code = code.strip().replace(" ", "")
    if len(code) != CODE_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(row.secret, digits=CODE_DIGITS, interval=STEP_SECONDS)
    current = int(unix_time // STEP_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if not allow_used and row.last_used_step is not None and step <= row.last_used_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def enable(session: Session, user: User, code: str, *, now: datetime, unix_time: float) -> None:
    """Switch TOTP on after the user confirms the pending secret with a current code."""
    row = totp_row(session, user.id)
    if row is None or row.enabled_at is not None:
        raise TotpError("Er is geen sleutel in afwachting van bevestiging. Begin opnieuw met instellen.")
    step = _accepted_step(row, code, unix_time)
    if step is None:
        session.add(Event(kind="totp_enable_failed", actor=user.email[:100], at=now, data={"user_id": user.id}))
        raise TotpError("De code is onjuist of verlopen. Voer de code in die de app nu toont.")
    row.enabled_at = now
    row.last_used_step = step
    session.add(Event(kind="totp_enabled", actor=user.email[:100], at=now, data={"user_id": user.id}))
    logger.info("TOTP enabled for user %s", user.id)


def _password_matches(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return PasswordHasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def disable(session: Session, user: User, code: str, password: str, *, now: datetime, unix_time: float) -> None:
    """Switch TOTP off; both the password and a current code are required."""
    row = totp_row(session, user.id)
    if row is None or row.enabled_at is None:
        raise TotpError("Tweestapsverificatie staat niet aan.")
    # The user is logged in and also sends the password, so the code that just opened
    # the session may be sent again here; otherwise switching off right after a login
    # would fail until the authenticator shows the next code.
    step = _accepted_step(row, code, unix_time, allow_used=True)
    if step is None or not _password_matches(user, password):
        session.add(Event(kind="totp_disable_failed", actor=user.email[:100], at=now, data={"user_id": user.id}))
        raise TotpError("Het wachtwoord of de code is onjuist. Tweestapsverificatie staat nog aan.")
    session.delete(row)
    session.add(Event(kind="totp_disabled", actor=user.email[:100], at=now, data={"user_id": user.id}))
    logger.info("TOTP disabled for user %s", user.id)


def verify_login_code(session: Session, user: User, code: str, *, ip: str, now: datetime, unix_time: float) -> None:
    """Check the second login step and record the attempt in the caller's transaction.

    A wrong code is recorded as a failed login attempt, so it counts towards the same
    throttle as a wrong password. Raises LoginThrottled when the account or the IP
    address has had too many failures, else LoginFailed for a wrong or replayed code.
    """
    ip = ip[:64]
    if (
        recent_failures(session, email=user.email, now=now) >= MAX_FAILURES_PER_ACCOUNT
        or recent_failures(session, ip=ip, now=now) >= MAX_FAILURES_PER_IP
    ):
        session.add(LoginAttempt(email=user.email, ip=ip, at=now, succeeded=False))
        session.add(Event(kind="login_throttled", actor=user.email[:100], at=now, data={"ip": ip, "step": "totp"}))
        logger.warning("TOTP login throttled for user %s (ip %s)", user.id, ip)
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        raise LoginThrottled(f"Te veel mislukte pogingen. Probeer het over {minutes} minuten opnieuw.")

    row = totp_row(session, user.id)
    step = _accepted_step(row, code, unix_time) if row is not None and row.enabled_at is not None else None
    if row is None or step is None:
        session.add(LoginAttempt(email=user.email, ip=ip, at=now, succeeded=False))
        session.add(Event(kind="login_totp_failed", actor=user.email[:100], at=now, data={"ip": ip, "user_id": user.id}))
        raise LoginFailed("De code is onjuist of al gebruikt. Voer de code in die de app nu toont.")

    # A conditional update, so two requests racing with the same code cannot both pass.
    claimed = session.execute(
        update(UserTotp)
        .where(UserTotp.id == row.id, or_(UserTotp.last_used_step.is_(None), UserTotp.last_used_step < step))
        .values(last_used_step=step)
    )
    if claimed.rowcount != 1:
        session.add(LoginAttempt(email=user.email, ip=ip, at=now, succeeded=False))
        session.add(Event(kind="login_totp_failed", actor=user.email[:100], at=now, data={"ip": ip, "user_id": user.id}))
        raise LoginFailed("De code is onjuist of al gebruikt. Voer de code in die de app nu toont.")
    user.last_login_at = now
    session.add(LoginAttempt(email=user.email, ip=ip, at=now, succeeded=True))
    session.add(Event(kind="login_totp_succeeded", actor=user.email[:100], at=now, data={"ip": ip, "user_id": user.id}))
