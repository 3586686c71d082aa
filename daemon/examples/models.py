"""Ground-truth records for the example mails: parties, invoices and mails.

Tests compare what the daemon extracts against these records, so every amount is the
exact `Decimal` printed on the generated PDF.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

PartyKind = Literal["business", "consumer"]
Expectation = Literal["dossier", "review", "ignored"]

# One invoice line: description, quantity, unit price excluding VAT, VAT rate in percent.
InvoiceLine = tuple[str, Decimal, Decimal, Decimal]


@dataclass(frozen=True)
class ExampleParty:
    """A client (opdrachtgever) or debtor with invented but valid-format identifiers."""

    name: str
    kvk: str | None
    vat_id: str | None
    iban: str
    email: str
    phone: str
    street: str
    postcode: str
    city: str
    country: str = "NL"
    contact: str | None = None
    kind: PartyKind = "business"


@dataclass(frozen=True)
class ExampleInvoice:
    """An invoice as printed on its PDF.

    `vat` is the sum of the VAT per rate, each rounded half up to cents, and
    `outstanding` is `total` less any payment noted on the invoice.
    """

    number: str
    date: datetime.date  # the field name `date` hides the type inside this class
    due_date: datetime.date
    payment_term_days: int
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    outstanding: Decimal

    @property
    def paid(self) -> Decimal:
        """Amount already paid, as noted on the invoice ("Reeds betaald")."""
        return self.total - self.outstanding


@dataclass(frozen=True)
class ExampleAttachment:
    """One attachment of an example mail, with its role for the ground truth."""

    filename: str
    role: Literal["invoice", "terms", "reminder"]
    content: bytes
    layout: str = ""  # the invoice layout, empty for other documents


@dataclass(frozen=True)
class ExampleMail:
    """One generated client mail with what the daemon is expected to do with it.

    `invoices` lists the invoices attached as PDFs (empty when none is attached), in
    the order of their attachments. `expect_reason` is empty for a dossier, else the
    review reason or the reason the mail is ignored.
    """

    filename: str
    raw: bytes
    message_id: str
    client: ExampleParty
    debtor: ExampleParty
    invoices: tuple[ExampleInvoice, ...]
    expect: Expectation
    expect_reason: str = ""
    kind: str = ""
    attachments: tuple[ExampleAttachment, ...] = ()

    @property
    def raw_crlf(self) -> bytes:
        """The message with CRLF line endings, as SMTP and IMAP APPEND carry it."""
        return self.raw.replace(b"\n", b"\r\n")

    @property
    def attachment_filenames(self) -> tuple[str, ...]:
        """File names of the attachments, in MIME order."""
        return tuple(attachment.filename for attachment in self.attachments)
