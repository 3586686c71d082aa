"""Accounts of the web desk: users with a role, one-time password links, login throttling.

A user is `staff` (the agency's desk) or `client` (a person at a client company, scoped
to one `client_id`). Passwords are stored as argon2id hashes. A password is set only
through a one-time link: the token is random, stored as its SHA-256 hash, expires, and
works once. Failed logins are counted per account and per IP address; too many in the
throttle window block further attempts until the window has passed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from dossiers.models import Base, Client, Event, UtcDateTime

logger = logging.getLogger(__name__)

ROLES = ("staff", "client")
TOKEN_PURPOSES = ("invite", "reset")
TOKEN_LIFETIME = timedelta(hours=48)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20

_hasher = PasswordHasher()
# Verified against when the e-mail address is unknown, so a login takes as long for an
# unknown address as for a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


class User(Base):
    """A person who logs in to the web desk."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # "staff" | "client"
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)  # set for role "client"
    password_hash: Mapped[str | None] = mapped_column(Text)  # None until the link is used
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised when the password changes; a session issued under an older epoch is refused.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    password_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PasswordToken(Base):
    """A one-time link to set a password; only the SHA-256 of the token is stored."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invite" | "reset"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LoginAttempt(Base):
    """One login attempt, kept for throttling by account and by IP address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class UserError(ValueError):
    """An account action that cannot be done; the message is Dutch, for the person acting."""


class LoginFailed(UserError):
    """Wrong e-mail address or password, or an inactive account; the message does not say which."""


class LoginThrottled(UserError):
    """Too many failed attempts for this account or from this IP address."""


@dataclass(frozen=True)
class Invitation:
    user: User
    token: str  # the raw token, only ever put in the link
    token_id: int
    expires_at: datetime


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _valid_email(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and not any(char.isspace() for char in email) and "<" not in email and ">" not in email


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_user(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def create_user(
    session: Session, email: str, role: str, *, now: datetime, actor: str, client_id: int | None = None
) -> User:
    """Create an account without a password; raise UserError for a bad or taken address."""
    email = normalise_email(email)
    if not _valid_email(email):
        raise UserError(f"'{email}' is geen geldig e-mailadres.")
    if role not in ROLES:
        raise UserError(f"Rol '{role}' bestaat niet; kies uit {', '.join(ROLES)}.")
    if role == "client" and client_id is None:
        raise UserError("Een gebruiker met de rol client hoort bij een opdrachtgever; geef de opdrachtgever op.")
    if role == "staff" and client_id is not None:
        raise UserError("Een medewerker hoort niet bij een opdrachtgever.")
    if client_id is not None and session.get(Client, client_id) is None:
        raise UserError(f"Opdrachtgever {client_id} bestaat niet.")
    if find_user(session, email) is not None:
        raise UserError(f"Er is al een account voor {email}; stuur een nieuwe link met `incasso users link`.")

    user = User(email=email, role=role, client_id=client_id, active=True, session_epoch=0, created_at=now, created_by=actor[:320])
    session.add(user)
    session.flush()
    session.add(Event(kind="user_created", actor=actor[:100], at=now, data={"user_id": user.id, "role": role, "client_id": client_id}))
    logger.info("user %s created with role %s", user.id, role)
    return user


def issue_token(session: Session, user: User, *, now: datetime, purpose: str = "invite", lifetime: timedelta = TOKEN_LIFETIME) -> Invitation:
    """Create a one-time password link token; earlier unused tokens of the user stop working."""
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    session.execute(
        update(PasswordToken).where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)).values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    row = PasswordToken(user_id=user.id, token_hash=hash_token(token), purpose=purpose, created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return Invitation(user, token, row.id, row.expires_at)


def token_user(session: Session, token: str, now: datetime) -> User | None:
    """Return the active user a valid (unused, unexpired) token belongs to, else None."""
    row = _valid_token(session, token, now)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def _valid_token(session: Session, token: str, now: datetime) -> PasswordToken | None:
    if not token or len(token) > 200:
        return None
    row = session.execute(select(PasswordToken).where(PasswordToken.token_hash == hash_token(token))).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def check_password_policy(password: str, email: str) -> None:
    """Raise UserError with the Dutch reason when `password` is too weak to accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Het wachtwoord is te kort; gebruik minstens {MIN_PASSWORD_LENGTH} tekens.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"Het wachtwoord is te lang; gebruik hoogstens {MAX_PASSWORD_LENGTH} tekens.")
    if password.strip().lower() == email.lower() or password.strip().lower() == email.partition("@")[0].lower():
        raise UserError("Het wachtwoord mag niet gelijk zijn aan het e-mailadres.")
    if len(set(password)) < 5:
        raise UserError("Het wachtwoord heeft te weinig verschillende tekens.")


def set_password_with_token(session: Session, token: str, password: str, *, now: datetime) -> User:
    """Set the password through a one-time link; the link is used up and old sessions end."""
    row = _valid_token(session, token, now)
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise UserError("Deze link is ongeldig, al gebruikt of verlopen; vraag een nieuwe link aan.")
    check_password_policy(password, user.email)
    user.password_hash = _hasher.hash(password)
    user.password_set_at = now
    user.session_epoch = (user.session_epoch or 0) + 1
    row.used_at = now
    session.add(Event(kind="password_set", actor=user.email[:100], at=now, data={"user_id": user.id, "purpose": row.purpose}))
    logger.info("password set for user %s", user.id)
    return user


def recent_failures(session: Session, *, email: str | None = None, ip: str | None = None, now: datetime) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False), LoginAttempt.at > now - THROTTLE_WINDOW)
    if email is not None:
        query = query.where(LoginAttempt.email == normalise_email(email))
    if ip is not None:
        query = query.where(LoginAttempt.ip == ip)
    return int(session.execute(query).scalar_one())


def authenticate(session: Session, email: str, password: str, *, ip: str, now: datetime) -> User:
    """Check a login and record the attempt in the caller's transaction.

    Raises LoginThrottled when the account or the IP address had too many failures in
    the throttle window (the password is then not even checked), else LoginFailed for
    a wrong address, wrong password or inactive account.
    """
    email = normalise_email(email)[:320]
    ip = ip[:64]
    if (
        recent_failures(session, email=email, now=now) >= MAX_FAILURES_PER_ACCOUNT
        or recent_failures(session, ip=ip, now=now) >= MAX_FAILURES_PER_IP
    ):
        session.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=False))
        session.add(Event(kind="login_throttled", actor=email[:100], at=now, data={"ip": ip}))
        logger.warning("login throttled for an account or address (ip %s)", ip)
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        raise LoginThrottled(f"Te veel mislukte pogingen. Probeer het over {minutes} minuten opnieuw.")

    user = find_user(session, email)
    if not _password_matches(user, password):
        session.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=False))
        session.add(Event(kind="login_failed", actor=email[:100], at=now, data={"ip": ip, "user_id": user.id if user else None}))
        raise LoginFailed("Onjuist e-mailadres of wachtwoord.")

    assert user is not None and user.password_hash is not None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    session.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=True))
    session.add(Event(kind="login_succeeded", actor=email[:100], at=now, data={"ip": ip, "user_id": user.id}))
    return user


def _password_matches(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None and user.active and user.password_hash else None
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH]) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def deactivate_user(session: Session, user: User, *, now: datetime, actor: str) -> None:
    user.active = False
    user.session_epoch = (user.session_epoch or 0) + 1
    session.execute(update(PasswordToken).where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)).values(used_at=now))
    session.add(Event(kind="user_deactivated", actor=actor[:100], at=now, data={"user_id": user.id}))


def list_users(session: Session) -> list[dict[str, object]]:
    return [
        {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "client_id": user.client_id,
            "active": user.active,
            "password_set": user.password_hash is not None,
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        }
        for user in session.execute(select(User).order_by(User.id)).scalars()
    ]
