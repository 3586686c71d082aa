"""A stream of small example mails for load tests of intake.

Every mail has its own Message-ID and invoice number. Nine in ten carry one invoice in
the fast fixed-width layout; every tenth refers to a missing attachment and belongs in
review. Nothing is cached, so memory stays flat however many mails are drawn.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from email.headerregistry import Address

from daemon.examples.invoices import make_invoice
from daemon.examples.mails import AMSTERDAM, maildir_filename
from daemon.examples.mime import build_mime
from daemon.examples.models import ExampleAttachment, ExampleMail, Expectation
from daemon.examples.parties import CLIENTS, make_business_debtor
from daemon.examples.render import PLAIN_LAYOUT, render_invoice_pdf, render_text

# Mails `index` with `index % MISSING_ATTACHMENT_EVERY == MISSING_ATTACHMENT_EVERY - 1`
# have no attachment.
MISSING_ATTACHMENT_EVERY = 10

# Backlog invoice sequence numbers start here, above those of the example mails.
FIRST_SEQUENCE = 10000


def backlog_moment(today: date, index: int) -> datetime:
    """Return the Date of backlog mail `index`: from midnight two days ago, 3 s apart."""
    start = datetime.combine(today - timedelta(days=2), time(0, 0), tzinfo=AMSTERDAM)
    return start + timedelta(seconds=3 * index)


def build_backlog_mail(index: int, *, seed: int, today: date) -> ExampleMail:
    """Build backlog mail number `index` (0-based) for `seed` and `today`."""
    rng = random.Random(f"backlog:{seed}:{index}")
    profile = CLIENTS[index % len(CLIENTS)]
    client = profile.party
    debtor = make_business_debtor(rng, rng.choice(("B.V.", "V.O.F.")))
    invoice = make_invoice(
        rng, profile, today=today, sequence=FIRST_SEQUENCE + index, max_lines=3
    )

    moment = backlog_moment(today, index)
    message_id = f"<backlog-{index + 1:06d}.{seed}@{profile.domain}>"
    username, domain = client.email.split("@")
    sender = Address(f"Administratie {client.name}", username, domain)

    if index % MISSING_ATTACHMENT_EVERY == MISSING_ATTACHMENT_EVERY - 1:
        subject = f"Incasso-opdracht {debtor.name}"
        body = render_text("mail_missing_attachment.txt.j2", client=client, debtor=debtor)
        attachments: tuple[ExampleAttachment, ...] = ()
        expect: Expectation = "review"
        reason, kind = "no_invoice_found", "backlog_missing_attachment"
    else:
        subject = f"Factuur {invoice.number} {debtor.name} – graag uit handen geven"
        body = render_text(
            "mail_claim.txt.j2",
            client=client,
            debtor=debtor,
            invoices=(invoice,),
            total_outstanding=invoice.outstanding,
            variant=index % 3,
            partial=False,
            consumer=False,
            has_terms=False,
            reminder_date=invoice.due_date + timedelta(days=7),
        )
        attachments = (
            ExampleAttachment(
                filename=f"Factuur {invoice.number}.pdf",
                role="invoice",
                content=render_invoice_pdf(client, debtor, invoice, layout=PLAIN_LAYOUT),
                layout=PLAIN_LAYOUT,
            ),
        )
        expect = "dossier"
        reason, kind = "", "backlog_invoice"

    raw = build_mime(
        sender=sender,
        subject=subject,
        moment=moment,
        message_id=message_id,
        body=body,
        attachments=attachments,
        boundary_prefix=f"=_backlog_{seed}_{index + 1:06d}",
    )
    return ExampleMail(
        filename=maildir_filename(moment, seed, index).replace(".example-", ".backlog-"),
        raw=raw,
        message_id=message_id,
        client=client,
        debtor=debtor,
        invoices=(invoice,) if attachments else (),
        expect=expect,
        expect_reason=reason,
        kind=kind,
        attachments=attachments,
    )


def build_backlog_mails(count: int, *, seed: int, today: date) -> Iterator[ExampleMail]:
    """Yield `count` backlog mails lazily, in Date order."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    for index in range(count):
        yield build_backlog_mail(index, seed=seed, today=today)
