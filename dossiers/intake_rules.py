"""Intake rules: what a parsed message becomes (dossier, review item, or ignored).

Pure functions over the parser's output, so every rule is tested without a database.
A value below the parser's acceptance threshold is never acted on silently: it becomes
a review reason with the field and the place in the document it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from parsers.model import Extraction, Field, InvoiceFields, ParsedMail, Problem

# Header values that mark a message as sent by a robot (RFC 3834 and common vendor
# variants). The daemon sends no reply to such mail, so no mail loop can start.
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_ROBOT_SENDERS = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@", "donotreply@")
LOOP_HEADER = "x-incasso-loop"


@dataclass(frozen=True)
class Reason:
    """A reason for staff review, with a Dutch message for the review queue."""

    code: str
    message: str
    field: str = ""
    source: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "field": self.field, "source": self.source}


@dataclass(frozen=True)
class IntakeDecision:
    """`outcome` is `dossier`, `review` or `ignored`.

    With `open_dossier` a dossier is opened (status `active` for `dossier`, `review`
    otherwise) so that the client gets a dossiernummer even while staff check details.
    """

    outcome: str
    reasons: tuple[Reason, ...] = ()
    open_dossier: bool = False

    @property
    def reason_codes(self) -> str:
        return ",".join(reason.code for reason in self.reasons)


def automatic_reason(mail: ParsedMail, own_addresses: frozenset[str]) -> Reason | None:
    """Return why `mail` was sent by a robot or by ourselves, or None for a person."""
    headers = mail.headers
    if LOOP_HEADER in headers or mail.from_address in own_addresses:
        return Reason("own_mail", "Bericht komt van het incassosysteem zelf (lus voorkomen)")
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return Reason("auto_reply", f"Automatisch bericht (Auto-Submitted: {auto_submitted})")
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return Reason("auto_reply", "Automatisch antwoord (afwezigheidsbericht)")
    if headers.get("x-auto-response-suppress", "").strip():
        return Reason("auto_reply", "Automatisch bericht (X-Auto-Response-Suppress)")
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return Reason("bulk_mail", f"Massamail of lijstbericht (Precedence: {precedence})")
    if "list-id" in headers or "list-unsubscribe" in headers:
        return Reason("bulk_mail", "Nieuwsbrief of mailinglijst")
    if headers.get("return-path", "").strip() == "<>" or mail.from_address.startswith(_ROBOT_SENDERS):
        return Reason("bounce", "Onbestelbaar-melding of bericht van een mailserver")
    if "multipart/report" in headers.get("content-type", "").lower():
        return Reason("bounce", "Afleverrapport van een mailserver")
    if not mail.from_address:
        return Reason("no_sender", "Afzender ontbreekt of is onleesbaar")
    return None


def decide(mail: ParsedMail, extraction: Extraction, *, today: date) -> IntakeDecision:
    """Decide what a non-automatic message becomes, with every reason for review."""
    reasons: list[Reason] = [_from_problem(problem) for problem in extraction.problems if problem.blocking]
    invoices = [invoice for invoice in extraction.invoices if _has_claim(invoice)]

    if not invoices:
        if not any(reason.code == "no_invoice_found" for reason in reasons):
            reasons.append(Reason("no_invoice_found", "Geen factuur gevonden in de bijlagen of de tekst van de mail"))
        return IntakeDecision("review", tuple(_unique(reasons)), open_dossier=False)

    covered = {reason.source for reason in reasons if reason.source}
    debtor = extraction.debtor
    _require(reasons, covered, debtor.name, "debtor.name", "debtor_name", "Naam van de debiteur")
    for index, invoice in enumerate(invoices):
        prefix = f"invoices[{index}]."
        _require(reasons, covered, invoice.number, prefix + "number", "invoice_number", "Factuurnummer")
        _require(reasons, covered, claim_amount_field(invoice), prefix + "outstanding", "invoice_outstanding", "Openstaand bedrag")
        _require(reasons, covered, invoice.date, prefix + "date", "invoice_date", "Factuurdatum")
        _require(reasons, covered, invoice.due_date, prefix + "due_date", "invoice_due_date", "Vervaldatum")
        due = due_date_of(invoice)
        if due is not None and due >= today:
            reasons.append(
                Reason("not_yet_due", f"De factuur is nog niet vervallen (vervaldatum {due:%d-%m-%Y})", prefix + "due_date")
            )
        amount = claim_amount_field(invoice).value
        if isinstance(amount, Decimal) and amount <= 0:
            reasons.append(Reason("amount_not_positive", "Openstaand bedrag is nul of negatief", prefix + "outstanding"))
        if invoice.currency.present and invoice.currency.value != "EUR":
            reasons.append(Reason("currency_not_eur", f"Valuta {invoice.currency.value} wordt niet automatisch behandeld", prefix + "currency"))

    kind = debtor.kind
    if not kind.trusted or kind.value not in ("business", "consumer"):
        reasons.append(
            Reason("debtor_kind_unsure", "Niet zeker of de debiteur een bedrijf of een consument is", "debtor.kind", kind.source)
        )

    if not (debtor.street.present and debtor.postcode.present and debtor.city.present) and not debtor.email.present:
        reasons.append(Reason("debtor_address_missing", "Adres en e-mailadres van de debiteur ontbreken", "debtor.street"))

    reasons = _unique(reasons)
    if reasons:
        return IntakeDecision("review", tuple(reasons), open_dossier=True)
    return IntakeDecision("dossier", (), open_dossier=True)


def claim_amount_field(invoice: InvoiceFields) -> Field[Decimal]:
    """Return the amount to claim: what is still outstanding, else the invoice total."""
    return invoice.outstanding if invoice.outstanding.present else invoice.total


def due_date_of(invoice: InvoiceFields) -> date | None:
    if invoice.due_date.present:
        return invoice.due_date.value
    return None


def _has_claim(invoice: InvoiceFields) -> bool:
    return invoice.number.present or claim_amount_field(invoice).present


def _require(
    reasons: list[Reason], covered: set[str], field: Field[object], name: str, code: str, label: str
) -> None:
    """Add a reason when `field` is missing or below the threshold.

    A value whose place in the document already carries a parser problem (`covered`)
    gets no second reason for the same spot.
    """
    if not field.present:
        reasons.append(Reason(f"{code}_missing", f"{label} ontbreekt", name))
    elif not field.trusted and field.source not in covered:
        note = f" ({field.note})" if field.note else ""
        reasons.append(Reason(f"{code}_unsure", f"{label} onzeker gelezen{note}", name, field.source))


def _from_problem(problem: Problem) -> Reason:
    return Reason(problem.code, problem.message, problem.field, problem.source)


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen: set[tuple[str, str]] = set()
    result = []
    for reason in reasons:
        key = (reason.code, reason.field)
        if key not in seen:
            seen.add(key)
            result.append(reason)
    return result
