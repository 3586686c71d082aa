"""Structured results of parsing: what a mail, a PDF or a mail body yielded.

These types are the contract between `parsers` and the rest of the product. They are
plain frozen dataclasses so that they can be stored as JSON on a review item and
compared in tests.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Values at or above this confidence may be acted on without staff review.
ACCEPT_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Field(Generic[T]):
    """One extracted value with where it came from and how sure the parser is.

    `source` names the place in the input, for example
    ``"attachment[1]:Factuur.pdf#page=1;x0=412.0,top=88.5,x1=470.2,bottom=98.5"``,
    ``"body:text#line=12"`` or ``"header:From"``.
    """

    value: T | None = None
    confidence: float = 0.0
    source: str = ""
    note: str = ""

    @property
    def present(self) -> bool:
        return self.value is not None and self.value != ""

    @property
    def trusted(self) -> bool:
        return self.present and self.confidence >= ACCEPT_CONFIDENCE


def missing() -> Field[Any]:
    return Field()


@dataclass(frozen=True)
class Party:
    """A client (the invoice's seller) or a debtor (the buyer)."""

    name: Field[str] = field(default_factory=missing)
    kind: Field[str] = field(default_factory=missing)  # "business" | "consumer"; debtor only
    contact: Field[str] = field(default_factory=missing)
    kvk: Field[str] = field(default_factory=missing)
    vat_id: Field[str] = field(default_factory=missing)
    iban: Field[str] = field(default_factory=missing)
    email: Field[str] = field(default_factory=missing)
    phone: Field[str] = field(default_factory=missing)
    street: Field[str] = field(default_factory=missing)
    postcode: Field[str] = field(default_factory=missing)
    city: Field[str] = field(default_factory=missing)
    country: Field[str] = field(default_factory=missing)


@dataclass(frozen=True)
class InvoiceFields:
    """The claim-relevant fields of one invoice."""

    number: Field[str] = field(default_factory=missing)
    date: Field[date] = field(default_factory=missing)
    due_date: Field[date] = field(default_factory=missing)
    payment_term_days: Field[int] = field(default_factory=missing)
    subtotal: Field[Decimal] = field(default_factory=missing)
    vat: Field[Decimal] = field(default_factory=missing)
    total: Field[Decimal] = field(default_factory=missing)
    outstanding: Field[Decimal] = field(default_factory=missing)
    currency: Field[str] = field(default_factory=missing)
    document_index: int | None = None  # index into ParsedMail.attachments, None for the body


@dataclass(frozen=True)
class Problem:
    """Why something could not be read with confidence.

    `code` is a stable machine name (``pdf_no_text_layer``, ``invoice_number_missing``);
    `message` is the Dutch sentence staff read in the review queue.
    """

    code: str
    message: str
    field: str = ""
    source: str = ""
    blocking: bool = True  # False for a warning that needs no review (e.g. a charset fallback)


@dataclass(frozen=True)
class Attachment:
    """One MIME part that carries a file, decoded to its bytes."""

    index: int
    filename: str
    content_type: str
    payload: bytes
    disposition: str = ""  # "attachment", "inline" or ""
    content_id: str = ""
    problems: tuple[Problem, ...] = ()
    # Why this part is not a document of the claim (an inline logo or signature image);
    # empty for documents.
    ignore_reason: str = ""
    # Index of the forwarded message (message/rfc822 attachment) this part came from.
    parent_index: int | None = None

    @property
    def size(self) -> int:
        return len(self.payload)

    @property
    def is_document(self) -> bool:
        return not self.ignore_reason

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass(frozen=True)
class ParsedMail:
    """Headers, bodies and attachments of one raw message."""

    message_id: str
    from_address: str  # lower-cased addr-spec, "" when missing or unparseable
    from_name: str
    to_addresses: tuple[str, ...]
    reply_to: str
    subject: str
    date_header: str
    in_reply_to: str
    references: tuple[str, ...]
    headers: dict[str, str]  # lower-cased header name -> first value, decoded
    text_body: str
    html_body: str
    attachments: tuple[Attachment, ...]
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    """How an attachment was classified, for keeping it on the dossier."""

    attachment_index: int
    kind: str  # "invoice" | "terms" | "reminder" | "einvoice" | "correspondence" | "image" | "other"
    reason: str = ""


@dataclass(frozen=True)
class Extraction:
    """Everything intake needs from one message to open a dossier or explain why not."""

    client: Party
    debtor: Party
    invoices: tuple[InvoiceFields, ...]
    documents: tuple[DocumentInfo, ...]
    problems: tuple[Problem, ...] = ()
    # True when the claim was read from the mail text because no attachment held one.
    body_only: bool = False

    def to_json(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))


@dataclass(frozen=True)
class LearnedLabel:
    """A label that staff corrections showed to introduce a field on this client's invoices."""

    field: str  # an InvoiceFields name: "number", "date", "due_date", "total", "outstanding", ...
    label: str  # the label text as printed, for example "Ons kenmerk"
    corrections: int = 1


@dataclass(frozen=True)
class LearnedPosition:
    """Where on the page staff found an amount this client's invoices print, in PDF points."""

    field: str
    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    corrections: int = 1


@dataclass(frozen=True)
class ClientHints:
    """What earlier staff corrections taught about one client's invoices.

    The party values are the client's own (the seller on its invoices), confirmed by
    staff; `labels` and `positions` tell the extractor where this client prints a
    field that the generic rules missed or read wrong.
    """

    client_email: str = ""
    name: str | None = None
    kvk: str | None = None
    vat_id: str | None = None
    iban: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    labels: tuple[LearnedLabel, ...] = ()
    positions: tuple[LearnedPosition, ...] = ()

    @property
    def empty(self) -> bool:
        party = (self.name, self.kvk, self.vat_id, self.iban, self.street, self.postcode, self.city)
        return not any(party) and not self.labels and not self.positions

    def party_values(self) -> dict[str, str]:
        """Return the known client values by Party field name, without the unknown ones."""
        values = {
            "name": self.name,
            "kvk": self.kvk,
            "vat_id": self.vat_id,
            "iban": self.iban,
            "street": self.street,
            "postcode": self.postcode,
            "city": self.city,
        }
        return {key: value for key, value in values.items() if value}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value
