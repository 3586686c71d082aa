"""The example client mails: eight kinds of mail with their expected outcome.

Mail `index` is built from a generator seeded with `(seed, index)`, so the first eight
mails are the same whatever `count` is, and equal arguments give equal bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.headerregistry import Address
from zoneinfo import ZoneInfo

from daemon.examples.invoices import make_invoice, renumber_by_date
from daemon.examples.mime import AGENCY_ADDRESS, build_mime
from daemon.examples.models import (
    ExampleAttachment,
    ExampleInvoice,
    ExampleMail,
    ExampleParty,
    Expectation,
)
from daemon.examples.parties import (
    CLIENTS,
    CLIENTS_BY_KEY,
    ClientProfile,
    make_business_debtor,
    make_consumer_debtor,
)
from daemon.examples.render import (
    LAYOUTS,
    render_invoice_pdf,
    render_reminder_pdf,
    render_terms_pdf,
    render_text,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class MailKind:
    """One kind of example mail and what the daemon must do with it."""

    name: str
    expect: Expectation
    expect_reason: str
    client_key: str  # the client of the first mail of this kind
    description: str


# Mail `index` is of kind `KINDS[index % len(KINDS)]`.
KINDS: tuple[MailKind, ...] = (
    MailKind("single_classic", "dossier", "", "hoekstra",
             "one invoice PDF in the classic layout, debtor a B.V."),
    MailKind("single_modern", "dossier", "", "vanleeuwen",
             "one invoice PDF in the modern layout, debtor a V.O.F."),
    MailKind("with_terms_and_reminder", "dossier", "", "goudenzwaan",
             "invoice PDF with the client's general terms and earlier reminder as PDFs"),
    MailKind("two_invoices", "dossier", "", "bosman",
             "two invoice PDFs for one debtor"),
    MailKind("consumer_debtor", "review", "debtor_kind_unsure", "hoekstra",
             "one invoice PDF for a private person"),
    MailKind("partial_payment", "dossier", "", "goudenzwaan",
             "one invoice PDF with a partial payment noted on it"),
    MailKind("missing_attachment", "review", "no_invoice_found", "vanleeuwen",
             "text refers to an attachment that is missing"),
    MailKind("auto_reply", "ignored", "auto_reply", "bosman",
             "out-of-office reply quoting an invoice number and amount"),
)

_INVOICE_FILENAMES = {
    "hoekstra": "Factuur {number}.pdf",
    "vanleeuwen": "factuur_{number}.pdf",
    "goudenzwaan": "Factuur {number} Café De Gouden Zwaan.pdf",
    "bosman": "{number} Bosman Groen factuur.pdf",
}
_SINGLE_SUBJECTS = (
    "Factuur {number} {debtor} – graag uit handen geven",
    "Incasso-opdracht: factuur {number} ({debtor})",
    "Openstaande factuur {number} – {debtor}",
    "Uit handen geven: {debtor}, factuur {number}",
)
# Clients whose mail program sends an HTML part beside the text.
_HTML_CLIENTS = frozenset({"vanleeuwen", "goudenzwaan"})


def previous_weekday(today: date) -> date:
    """Return the last Monday-to-Friday date before `today`."""
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def mail_moment(today: date, index: int) -> datetime:
    """Return the Date of example mail `index`: 08:00 on the previous weekday, 7 minutes apart."""
    start = datetime.combine(previous_weekday(today), time(8, 0), tzinfo=AMSTERDAM)
    return start + timedelta(minutes=7 * index)


def maildir_filename(moment: datetime, seed: int, index: int) -> str:
    """Return a unique Maildir file name (without the `:2,` info part) for one mail."""
    return f"{int(moment.timestamp())}.example-{seed}-{index + 1:04d}.alertincasso"


def _pick_client(rng: random.Random, kind: MailKind, index: int) -> ClientProfile:
    if index < len(KINDS):
        return CLIENTS_BY_KEY[kind.client_key]
    if kind.name == "consumer_debtor":
        return rng.choice([profile for profile in CLIENTS if profile.serves_consumers])
    return rng.choice(CLIENTS)


def _pick_layout(rng: random.Random, kind: MailKind, profile: ClientProfile, index: int) -> str:
    if kind.name == "single_classic":
        return "classic"
    if kind.name == "single_modern":
        return "modern"
    if index < len(KINDS):
        return profile.layout
    return rng.choice(LAYOUTS)


def _pick_debtor(rng: random.Random, kind: MailKind) -> ExampleParty:
    if kind.name == "consumer_debtor":
        return make_consumer_debtor(rng)
    if kind.name == "single_classic":
        return make_business_debtor(rng, "B.V.")
    if kind.name == "single_modern":
        return make_business_debtor(rng, "V.O.F.")
    return make_business_debtor(rng, rng.choice(("B.V.", "V.O.F.")))


def _sender(profile: ClientProfile) -> Address:
    username, domain = profile.party.email.split("@")
    return Address(f"Administratie {profile.party.name}", username, domain)


def _invoice_attachment(
    profile: ClientProfile, debtor: ExampleParty, invoice: ExampleInvoice, layout: str
) -> ExampleAttachment:
    return ExampleAttachment(
        filename=_INVOICE_FILENAMES[profile.key].format(number=invoice.number),
        role="invoice",
        content=render_invoice_pdf(profile.party, debtor, invoice, layout=layout),
        layout=layout,
    )


def _mail_random(seed: int, index: int) -> random.Random:
    return random.Random(f"example:{seed}:{index}")


def _message_id(profile: ClientProfile, seed: int, index: int) -> str:
    return f"<example-{index + 1:04d}.{seed}@{profile.domain}>"


def example_message_id(index: int, *, seed: int) -> str:
    """Return the Message-ID of example mail `index` without rendering the mail.

    The Message-ID does not depend on `today`, so mails seeded on another day are
    recognised too.
    """
    kind = KINDS[index % len(KINDS)]
    return _message_id(_pick_client(_mail_random(seed, index), kind, index), seed, index)


def build_example_mail(index: int, *, seed: int, today: date) -> ExampleMail:
    """Build example mail number `index` (0-based) of the series for `seed` and `today`."""
    kind = KINDS[index % len(KINDS)]
    rng = _mail_random(seed, index)
    profile = _pick_client(rng, kind, index)
    layout = _pick_layout(rng, kind, profile, index)
    debtor = _pick_debtor(rng, kind)
    client = profile.party
    variant = rng.randrange(3)

    invoice_count = 2 if kind.name == "two_invoices" else 1
    invoices = tuple(
        make_invoice(
            rng,
            profile,
            today=today,
            sequence=100 + 2 * index + offset,
            partial_payment=kind.name == "partial_payment",
        )
        for offset in range(invoice_count)
    )
    invoices = renumber_by_date(profile, invoices, first_sequence=100 + 2 * index)

    moment = mail_moment(today, index)
    message_id = _message_id(profile, seed, index)
    boundary_prefix = f"=_example_{seed}_{index + 1:04d}"
    attachments: tuple[ExampleAttachment, ...] = ()
    extra_headers: list[tuple[str, str]] = []

    if kind.name == "missing_attachment":
        subject = f"Incasso-opdracht {debtor.name}"
        body = render_text("mail_missing_attachment.txt.j2", client=client, debtor=debtor)
        attached_invoices: tuple[ExampleInvoice, ...] = ()
    elif kind.name == "auto_reply":
        invoice = invoices[0]
        original_subject = f"Ontvangstbevestiging incasso-opdracht factuur {invoice.number}"
        subject = f"Afwezigheidsbericht: {original_subject}"
        body = render_text(
            "mail_autoreply.txt.j2",
            client=client,
            debtor=debtor,
            invoice=invoice,
            original_subject=original_subject,
            sent_date=today - timedelta(days=1),
            return_date=today + timedelta(days=rng.randint(3, 14)),
        )
        in_reply_to = f"<confirm-{invoice.number}.{seed}@alertincasso.nl>"
        extra_headers = [
            ("In-Reply-To", in_reply_to),
            ("References", in_reply_to),
            ("Auto-Submitted", "auto-replied"),
            ("X-Auto-Response-Suppress", "All"),
        ]
        attached_invoices = ()
    else:
        attached_invoices = invoices
        attachments = tuple(
            _invoice_attachment(profile, debtor, invoice, layout) for invoice in invoices
        )
        reminder_date = invoices[0].due_date + timedelta(days=7)
        if kind.name == "with_terms_and_reminder":
            attachments += (
                ExampleAttachment(
                    filename=f"Algemene voorwaarden {profile.short_name}.pdf",
                    role="terms",
                    content=render_terms_pdf(client),
                ),
                ExampleAttachment(
                    filename=f"Herinnering {invoices[0].number}.pdf",
                    role="reminder",
                    content=render_reminder_pdf(
                        client, debtor, invoices[0], reminder_date=reminder_date
                    ),
                ),
            )
        if kind.name == "two_invoices":
            subject = (
                f"Incasso-opdracht {debtor.name}: facturen "
                f"{invoices[0].number} en {invoices[1].number}"
            )
        else:
            subject = rng.choice(_SINGLE_SUBJECTS).format(
                number=invoices[0].number, debtor=debtor.name
            )
        body = render_text(
            "mail_claim.txt.j2",
            client=client,
            debtor=debtor,
            invoices=invoices,
            total_outstanding=sum((inv.outstanding for inv in invoices), Decimal("0.00")),
            variant=variant,
            partial=kind.name == "partial_payment",
            consumer=kind.name == "consumer_debtor",
            has_terms=kind.name == "with_terms_and_reminder",
            reminder_date=reminder_date,
        )

    raw = build_mime(
        sender=_sender(profile),
        subject=subject,
        moment=moment,
        message_id=message_id,
        body=body,
        attachments=attachments,
        boundary_prefix=boundary_prefix,
        with_html=profile.key in _HTML_CLIENTS and kind.name != "auto_reply",
        extra_headers=extra_headers,
    )
    return ExampleMail(
        filename=maildir_filename(moment, seed, index),
        raw=raw,
        message_id=message_id,
        client=client,
        debtor=debtor,
        invoices=attached_invoices,
        expect=kind.expect,
        expect_reason=kind.expect_reason,
        kind=kind.name,
        attachments=attachments,
    )


def build_example_mails(count: int = 8, *, seed: int = 2026, today: date) -> list[ExampleMail]:
    """Build `count` example mails; any `count` of 8 or more contains every kind."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    return [build_example_mail(index, seed=seed, today=today) for index in range(count)]


__all__ = [
    "AGENCY_ADDRESS",
    "KINDS",
    "MailKind",
    "build_example_mail",
    "build_example_mails",
    "example_message_id",
]
