"""SQLAlchemy models shared by the daemon and the web app.

Money is stored as integer cents and read back as `Decimal`, so SQLite and PostgreSQL
give exactly the same amounts. Moments are stored in UTC and read back timezone-aware.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """Euros as `Decimal` with two decimals, stored as a whole number of cents."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        cents = value.quantize(CENT) * 100
        return int(cents)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(CENT)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware moment, stored as naive UTC so both databases agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC moment")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Blob(Base):
    """Bytes of a raw message or a document, content-addressed by SHA-256.

    Kept in the database rather than on local disk so that daemons on several machines
    sharing one PostgreSQL can all read every message and document.
    """

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MailboxState(Base):
    """Fetch watermark and health of one mailbox."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_fetch_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InboundMessage(Base):
    """One raw message as fetched, and what became of it.

    `status` is `stored` until intake has decided, then `done` with one `outcome`:
    `dossier` (linked to a dossier), `review` (a review item exists) or `ignored`
    (with `reason`). `server_marked_at` records when the message was moved or flagged on
    the mail server.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(400))
    mailbox: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    server_key: Mapped[str] = mapped_column(String(300))  # the source's own key: Maildir name or UID
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(998), default="", index=True)
    from_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="stored", index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    server_marked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Client(Base):
    """A client (opdrachtgever) of the agency, known by its e-mail address."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    kvk: Mapped[str | None] = mapped_column(String(20))
    vat_id: Mapped[str | None] = mapped_column(String(20))
    iban: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    cannot_deduct_vat: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Debtor(Base):
    __tablename__ = "debtors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # "business" | "consumer"
    contact: Mapped[str | None] = mapped_column(String(300))
    street: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="NL")
    email: Mapped[str | None] = mapped_column(String(320))
    kvk: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when mail to `email` bounced permanently; letters then go by post.
    email_unusable_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    email_unusable_reason: Mapped[str | None] = mapped_column(Text)


class ClientSender(Base):
    """An address or a whole domain whose mail counts as coming from a client.

    Exactly one of `address` and `domain` is set. A domain is registered only on purpose
    by staff (never a public mail provider's), because every address under it is trusted.
    """

    __tablename__ = "client_senders"
    __table_args__ = (UniqueConstraint("address"), UniqueConstraint("domain"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(320))
    domain: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100), default="daemon")


class Dossier(Base):
    """A collection case. `status`: `active`, `review` (waiting for staff) or `closed`."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    phase: Mapped[int] = mapped_column(Integer, default=0)
    phase_deadline: Mapped[date | None] = mapped_column(Date)
    phase_checked_on: Mapped[date | None] = mapped_column(Date)  # last sweep; None = check now
    opened_on: Mapped[date] = mapped_column(Date)
    source_message_id: Mapped[int | None] = mapped_column(Integer)  # inbound_messages.id; no FK, the tables point at each other
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    client: Mapped[Client] = relationship()
    debtor: Mapped[Debtor] = relationship()
    claims: Mapped[list[Claim]] = relationship(back_populates="dossier", order_by="Claim.id")


class Claim(Base):
    """One unpaid invoice in a dossier. `principal` is what is still outstanding."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("dossier_id", "invoice_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(100))
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Decimal | None] = mapped_column(Money)
    principal: Mapped[Decimal | None] = mapped_column(Money)  # None while the amount is unknown
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    dossier: Mapped[Dossier] = relationship(back_populates="claims")


class Document(Base):
    """An attachment of an inbound message, kept byte for byte and classified."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    part_index: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)


class ReviewItem(Base):
    """Work for staff: a message or dossier the daemon could not decide on alone.

    `kind`: `intake` (a new claim with unsure or missing fields), `triage` (a message
    that could not be matched or trusted; `suggested_dossier_id` names the likely
    dossier), `followup` (a client's addition to a dossier) or `task` (a debtor's
    response or another event staff must act on).
    """

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="intake", server_default="intake", index=True)
    suggested_dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    extraction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Letter(Base):
    """A phase letter issued on a dossier: at most one per dossier, phase and channel."""

    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("dossier_id", "phase", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    phase: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # "email" | "post"
    issued_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(Money)
    interest: Mapped[Decimal] = mapped_column(Money)
    costs: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    pdf_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxItem(Base):
    """An e-mail or a letter for post, written in the transaction that caused it.

    `idempotency_key` names the cause (for example ``reply:inbound:17`` or
    ``letter:dossier:5:phase:1:email``) so the same cause never queues a second item.
    `status`: `pending`, `sending`, `sent`, or `failed` (permanent; shown to staff).
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("idempotency_key"), UniqueConstraint("message_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # "email" | "post"
    purpose: Mapped[str] = mapped_column(String(40))  # "reply", "letter"
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    rate_key: Mapped[str | None] = mapped_column(String(320), index=True)  # first recipient, lower case
    subject: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str | None] = mapped_column(String(998))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Event(Base):
    """The audit trail: every state change, with who or what caused it."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str] = mapped_column(String(100), default="daemon")
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class NumberCounter(Base):
    """The last dossiernummer sequence issued per year; only ever incremented."""

    __tablename__ = "number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
