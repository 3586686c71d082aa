"""Tests of the example client mails, their invoice PDFs and the Maildir seeding."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import pdfplumber
import pytest

from daemon.examples import (
    KINDS,
    LAYOUTS,
    ExampleMail,
    build_backlog_mails,
    build_example_mails,
    render_invoice_pdf,
    seed_maildir,
    write_maildir,
)
from daemon.examples import render
from daemon.examples.mails import example_message_id
from daemon.examples.identifiers import (
    is_valid_iban,
    is_valid_postcode,
    is_valid_vat_id,
    passes_elfproef,
)
from daemon.examples.invoices import MIN_DAYS_OVERDUE, line_amount
from daemon.examples.parties import CLIENTS

TODAY = date(2026, 3, 2)
LEGAL_FORMS = ("B.V.", "V.O.F.", "N.V.", "Stichting")


@pytest.fixture(scope="module")
def mails() -> list[ExampleMail]:
    return build_example_mails(32, seed=2026, today=TODAY)


def parse(mail: ExampleMail) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(mail.raw)
    assert isinstance(message, EmailMessage)
    return message


def pdf_text(pdf: bytes) -> str:
    """Extract the text of every page, with no-break spaces made plain."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    return text.replace("\u00a0", " ")


def dutch_amount(amount: Decimal) -> str:
    """Format independently of the code under test: 1234.5 -> 1.234,50."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


# --- identifiers -------------------------------------------------------------------


def test_iban_validator_known_values() -> None:
    assert is_valid_iban("NL91ABNA0417164300")
    assert is_valid_iban("NL91 ABNA 0417 1643 00")
    assert not is_valid_iban("NL92ABNA0417164300")
    assert not is_valid_iban("NL91ABNA041716430")


def test_elfproef_known_values() -> None:
    assert passes_elfproef("123456782")
    assert not passes_elfproef("123456781")
    assert is_valid_vat_id("NL123456782B01")
    assert not is_valid_vat_id("NL123456781B01")


def test_postcode_validator_rejects_reserved() -> None:
    assert is_valid_postcode("1234 AB")
    assert not is_valid_postcode("0234 AB")
    assert not is_valid_postcode("1234 SS")
    assert not is_valid_postcode("1234 SA")
    assert not is_valid_postcode("1234AB")


def test_party_identifiers_are_valid(mails: list[ExampleMail]) -> None:
    parties = [profile.party for profile in CLIENTS]
    parties += [mail.debtor for mail in mails]
    for party in parties:
        assert is_valid_iban(party.iban), party.iban
        assert party.iban.startswith("NL")
        assert party.iban[4:8] in {"ABNA", "INGB", "RABO", "TRIO"}
        assert is_valid_postcode(party.postcode), party.postcode
        assert party.country == "NL"
        if party.kind == "business":
            assert party.kvk is not None
            assert len(party.kvk) == 8
            assert party.kvk.isdigit()
            assert party.vat_id is not None
            assert is_valid_vat_id(party.vat_id), party.vat_id
        else:
            assert party.kvk is None
            assert party.vat_id is None


def test_client_identifiers_are_stable() -> None:
    kvk_numbers = {profile.party.kvk for profile in CLIENTS}
    ibans = {profile.party.iban for profile in CLIENTS}
    assert len(kvk_numbers) == len(CLIENTS)
    assert len(ibans) == len(CLIENTS)


# --- invoices ----------------------------------------------------------------------


def test_invoice_amounts_add_up(mails: list[ExampleMail]) -> None:
    invoices = [invoice for mail in mails for invoice in mail.invoices]
    assert len(invoices) >= 12
    for invoice in invoices:
        assert sum(line_amount(line) for line in invoice.lines) == invoice.subtotal
        assert invoice.subtotal + invoice.vat == invoice.total
        assert Decimal(0) < invoice.outstanding <= invoice.total
        for amount in (invoice.subtotal, invoice.vat, invoice.total, invoice.outstanding):
            assert amount == amount.quantize(Decimal("0.01"))


def test_invoice_vat_matches_rates(mails: list[ExampleMail]) -> None:
    for mail in mails:
        for invoice in mail.invoices:
            low = sum(line_amount(l) for l in invoice.lines if l[3] == Decimal(9))
            high = sum(line_amount(l) for l in invoice.lines if l[3] == Decimal(21))
            expected = (low * Decimal("0.09")).quantize(Decimal("0.01")) + (
                high * Decimal("0.21")
            ).quantize(Decimal("0.01"))
            assert abs(invoice.vat - expected) <= Decimal("0.01")
            assert low + high == invoice.subtotal


def test_invoices_are_overdue(mails: list[ExampleMail]) -> None:
    for mail in mails:
        for invoice in mail.invoices:
            assert invoice.date < invoice.due_date
            assert invoice.due_date - invoice.date == timedelta(days=invoice.payment_term_days)
            assert invoice.due_date <= TODAY - timedelta(days=MIN_DAYS_OVERDUE)


def test_invoice_numbers_are_unique(mails: list[ExampleMail]) -> None:
    numbers = [invoice.number for mail in mails for invoice in mail.invoices]
    assert len(numbers) == len(set(numbers))


@pytest.mark.parametrize("layout", [*LAYOUTS, "plain"])
def test_invoice_pdf_contains_fields(mails: list[ExampleMail], layout: str) -> None:
    mail = next(m for m in mails if m.kind == "single_classic")
    invoice = mail.invoices[0]
    text = pdf_text(render_invoice_pdf(mail.client, mail.debtor, invoice, layout=layout))
    flat = " ".join(text.split())

    assert invoice.number in flat
    assert mail.debtor.name in flat
    assert mail.client.name in flat
    assert mail.client.kvk in flat
    assert "factuur" in flat.lower()
    assert "o.v.v. het factuurnummer" in flat
    total = dutch_amount(invoice.total)
    if layout == "modern":
        # The euro sign sits in a cell of its own, left of the right-aligned amount.
        assert f"€ {total}" in flat or f"€{total}" in flat or total in flat
    else:
        assert f"€ {total}" in flat


@pytest.mark.parametrize("layout", LAYOUTS)
def test_invoice_pdf_embeds_dejavu(mails: list[ExampleMail], layout: str) -> None:
    mail = mails[0]
    pdf = render_invoice_pdf(mail.client, mail.debtor, mail.invoices[0], layout=layout)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        fonts = {char["fontname"].split("+")[-1].replace("-", "") for char in page.chars}
        euro_signs = [char for char in page.chars if char["text"] == "€"]
    assert all(font.startswith("DejaVuSans") for font in fonts), fonts
    assert "DejaVuSans" in fonts
    assert len(euro_signs) >= 3
    assert document.pages[0].width == pytest.approx(595.28, abs=0.5)


def test_invoice_pdf_unknown_layout(mails: list[ExampleMail]) -> None:
    mail = mails[0]
    with pytest.raises(ValueError, match="unknown invoice layout"):
        render_invoice_pdf(mail.client, mail.debtor, mail.invoices[0], layout="fancy")


def test_attached_pdfs_match_ground_truth(mails: list[ExampleMail]) -> None:
    for mail in mails[:8]:
        invoice_attachments = [a for a in mail.attachments if a.role == "invoice"]
        assert len(invoice_attachments) == len(mail.invoices)
        for attachment, invoice in zip(invoice_attachments, mail.invoices):
            flat = " ".join(pdf_text(attachment.content).split())
            assert invoice.number in flat
            assert mail.debtor.name in flat
            assert dutch_amount(invoice.total) in flat
            assert attachment.content.startswith(b"%PDF-")


@pytest.mark.parametrize("layout", [*LAYOUTS, "plain"])
def test_partial_payment_on_pdf(mails: list[ExampleMail], layout: str) -> None:
    mail = next(m for m in mails if m.kind == "partial_payment")
    invoice = mail.invoices[0]
    assert invoice.outstanding < invoice.total
    pdf = render_invoice_pdf(mail.client, mail.debtor, invoice, layout=layout)
    flat = " ".join(pdf_text(pdf).split())
    assert "Reeds betaald" in flat
    assert "Openstaand bedrag" in flat
    assert dutch_amount(invoice.outstanding) in flat
    assert dutch_amount(invoice.total - invoice.outstanding) in flat
    assert "het openstaande bedrag vóór" in flat


def test_terms_and_reminder_are_not_invoices(mails: list[ExampleMail]) -> None:
    mail = next(m for m in mails if m.kind == "with_terms_and_reminder")
    roles = [attachment.role for attachment in mail.attachments]
    assert roles == ["invoice", "terms", "reminder"]
    assert len(mail.invoices) == 1
    terms = pdf_text(mail.attachments[1].content)
    reminder = " ".join(pdf_text(mail.attachments[2].content).split())
    assert "Algemene voorwaarden" in terms
    assert "betalingsherinnering" in reminder.lower()
    assert mail.invoices[0].number in reminder


# --- mails -------------------------------------------------------------------------


def test_each_kind_repeats(mails: list[ExampleMail]) -> None:
    kinds = [mail.kind for mail in mails]
    for kind in KINDS:
        assert kinds.count(kind.name) == len(mails) // len(KINDS)
    layouts = {
        attachment.layout
        for mail in mails
        for attachment in mail.attachments
        if attachment.role == "invoice"
    }
    assert layouts == set(LAYOUTS)


def test_first_eight_cover_every_kind(mails: list[ExampleMail]) -> None:
    expected = {
        "single_classic": ("dossier", ""),
        "single_modern": ("dossier", ""),
        "with_terms_and_reminder": ("dossier", ""),
        "two_invoices": ("dossier", ""),
        "consumer_debtor": ("review", "debtor_kind_unsure"),
        "partial_payment": ("dossier", ""),
        "missing_attachment": ("review", "no_invoice_found"),
        "auto_reply": ("ignored", "auto_reply"),
    }
    first = {mail.kind: (mail.expect, mail.expect_reason) for mail in mails[:8]}
    assert first == expected
    assert [kind.name for kind in KINDS] == list(expected)


def test_mails_parse_with_declared_attachments(mails: list[ExampleMail]) -> None:
    for mail in mails:
        message = parse(mail)
        assert message["Message-ID"] == mail.message_id
        assert message["To"].addresses[0].addr_spec == "info@alertincasso.nl"
        assert message["From"].addresses[0].addr_spec == mail.client.email
        assert message["MIME-Version"] == "1.0"
        assert message["Subject"]
        assert message["Subject"] == message["Subject"].strip()
        parts = list(message.iter_attachments())
        assert [part.get_filename() for part in parts] == list(mail.attachment_filenames)
        for part, attachment in zip(parts, mail.attachments):
            assert part.get_content_type() == "application/pdf"
            assert part["Content-Transfer-Encoding"] == "base64"
            assert part.get_content() == attachment.content


def test_non_ascii_filename_round_trips(mails: list[ExampleMail]) -> None:
    names = [name for mail in mails for name in mail.attachment_filenames]
    cafe = [name for name in names if "Café" in name]
    assert cafe
    raw = next(mail.raw for mail in mails if any("Café" in n for n in mail.attachment_filenames))
    assert b"filename*=utf-8''" in raw


def test_mail_bodies_are_dutch(mails: list[ExampleMail]) -> None:
    for mail in mails:
        body = parse(mail).get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        assert mail.client.name in text
        if mail.kind == "auto_reply":
            continue
        assert "uit handen geven" in text
        assert "Met vriendelijke groet" in text
        assert f"KvK {mail.client.kvk}" in text
        assert mail.debtor.name in text


def test_date_header_from_today(mails: list[ExampleMail]) -> None:
    for mail in mails:
        moment = parsedate_to_datetime(parse(mail)["Date"])
        assert moment.date() < TODAY
        assert TODAY - moment.date() <= timedelta(days=3)
        assert moment.date().weekday() < 5
    later = build_example_mails(1, seed=2026, today=TODAY + timedelta(days=7))
    assert parse(later[0])["Date"] != parse(mails[0])["Date"]


def test_auto_reply_headers(mails: list[ExampleMail]) -> None:
    mail = next(m for m in mails if m.kind == "auto_reply")
    message = parse(mail)
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Subject"].startswith("Afwezigheidsbericht: ")
    assert message["In-Reply-To"]
    assert mail.attachments == ()
    assert mail.invoices == ()


def test_missing_attachment_mail(mails: list[ExampleMail]) -> None:
    mail = next(m for m in mails if m.kind == "missing_attachment")
    message = parse(mail)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "bijlage" in text
    assert list(message.iter_attachments()) == []
    assert mail.invoices == ()
    assert "€" not in text


def test_consumer_debtor_has_no_legal_form(mails: list[ExampleMail]) -> None:
    mail = next(m for m in mails if m.kind == "consumer_debtor")
    assert mail.debtor.kind == "consumer"
    assert not any(form in mail.debtor.name for form in LEGAL_FORMS)
    assert len(mail.invoices) == 1


def test_business_debtor_legal_forms(mails: list[ExampleMail]) -> None:
    assert mails[0].debtor.name.endswith("B.V.")
    assert mails[1].debtor.name.endswith("V.O.F.")
    two = next(m for m in mails if m.kind == "two_invoices")
    assert len(two.invoices) == 2
    assert two.invoices[0].date <= two.invoices[1].date
    assert len([a for a in two.attachments if a.role == "invoice"]) == 2


def test_message_ids_and_filenames_unique(mails: list[ExampleMail]) -> None:
    assert mails[0].message_id == "<example-0001.2026@hoekstra-installatie.example>"
    assert len({mail.message_id for mail in mails}) == len(mails)
    assert len({mail.filename for mail in mails}) == len(mails)
    for mail in mails:
        assert "/" not in mail.filename
        assert ":" not in mail.filename


def test_example_message_id_matches_build(mails: list[ExampleMail]) -> None:
    for index, mail in enumerate(mails):
        assert example_message_id(index, seed=2026) == mail.message_id


def test_raw_crlf_line_endings(mails: list[ExampleMail]) -> None:
    crlf = mails[0].raw_crlf
    assert b"\r\n" in crlf
    assert b"\n" not in crlf.replace(b"\r\n", b"")
    assert parse(mails[0])["Message-ID"] == BytesParser(policy=policy.default).parsebytes(
        crlf
    )["Message-ID"]


def test_build_is_deterministic(mails: list[ExampleMail]) -> None:
    render.clear_pdf_cache()
    again = build_example_mails(16, seed=2026, today=TODAY)
    assert [mail.raw for mail in again] == [mail.raw for mail in mails[:16]]
    assert [mail.filename for mail in again] == [mail.filename for mail in mails[:16]]


def test_first_mails_do_not_depend_on_count(mails: list[ExampleMail]) -> None:
    assert [m.raw for m in build_example_mails(8, seed=2026, today=TODAY)] == [
        m.raw for m in mails[:8]
    ]


def test_other_seed_gives_other_mails(mails: list[ExampleMail]) -> None:
    other = build_example_mails(8, seed=7, today=TODAY)
    assert other[0].message_id == "<example-0001.7@hoekstra-installatie.example>"
    assert other[0].debtor != mails[0].debtor
    assert [m.kind for m in other] == [m.kind for m in mails[:8]]


def test_negative_count_rejected() -> None:
    with pytest.raises(ValueError, match="count must be 0 or more"):
        build_example_mails(-1, today=TODAY)


# --- Maildir -----------------------------------------------------------------------


def test_write_maildir_is_idempotent(mails: list[ExampleMail], tmp_path: Path) -> None:
    maildir = tmp_path / "inbox"
    written = write_maildir(mails[:8], maildir)
    assert [path.parent.name for path in written] == ["new"] * 8
    assert sorted(path.name for path in written) == sorted(m.filename for m in mails[:8])
    assert written[0].read_bytes() == mails[0].raw
    assert list((maildir / "tmp").iterdir()) == []
    assert (maildir / "cur").is_dir()

    assert write_maildir(mails[:8], maildir) == []
    assert len(list((maildir / "new").iterdir())) == 8


def test_write_maildir_sees_cur(mails: list[ExampleMail], tmp_path: Path) -> None:
    maildir = tmp_path / "inbox"
    first = write_maildir(mails[:2], maildir)
    os.rename(first[0], maildir / "cur" / f"{first[0].name}:2,S")
    assert write_maildir(mails[:2], maildir) == []


def test_seed_maildir_is_idempotent(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    assert seed_maildir(maildir, today=TODAY) == 8
    assert seed_maildir(maildir, today=TODAY) == 0
    assert len(list((maildir / "new").iterdir())) == 8


def test_seed_maildir_checks_message_ids(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    assert seed_maildir(maildir, today=TODAY, count=3) == 3
    for index, path in enumerate(sorted((maildir / "new").iterdir())):
        os.rename(path, maildir / "cur" / f"renamed-{index}:2,S")
    assert seed_maildir(maildir, today=TODAY, count=3) == 0
    assert seed_maildir(maildir, today=TODAY, count=5) == 2


def test_seed_maildir_on_a_later_day(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    assert seed_maildir(maildir, today=TODAY, count=4) == 4
    assert seed_maildir(maildir, today=TODAY + timedelta(days=9), count=4) == 0


# --- backlog -----------------------------------------------------------------------


def test_backlog_mails() -> None:
    backlog = list(build_backlog_mails(30, seed=5, today=TODAY))
    assert len(backlog) == 30
    assert len({mail.message_id for mail in backlog}) == 30
    assert len({mail.filename for mail in backlog}) == 30
    numbers = [invoice.number for mail in backlog for invoice in mail.invoices]
    assert len(numbers) == len(set(numbers)) == 27

    for index, mail in enumerate(backlog):
        parts = list(parse(mail).iter_attachments())
        if index % 10 == 9:
            assert (mail.expect, mail.expect_reason) == ("review", "no_invoice_found")
            assert parts == []
        else:
            assert (mail.expect, mail.expect_reason) == ("dossier", "")
            assert len(parts) == 1
            assert parts[0].get_filename() == mail.attachment_filenames[0]


def test_backlog_pdf_text() -> None:
    mail = next(iter(build_backlog_mails(1, seed=5, today=TODAY)))
    invoice = mail.invoices[0]
    flat = " ".join(pdf_text(mail.attachments[0].content).split())
    assert invoice.number in flat
    assert mail.debtor.name in flat
    assert f"€ {dutch_amount(invoice.total)}" in flat
    assert "vóór" in flat


def test_backlog_is_deterministic() -> None:
    first = [m.raw for m in build_backlog_mails(12, seed=5, today=TODAY)]
    second = [m.raw for m in build_backlog_mails(12, seed=5, today=TODAY)]
    assert first == second
    assert not set(first) & {m.raw for m in build_backlog_mails(12, seed=6, today=TODAY)}


def test_line_lengths_within_limits(mails: list[ExampleMail]) -> None:
    for mail in mails:
        head, _, body = mail.raw.partition(b"\n\n")
        assert max(len(line) for line in head.split(b"\n")) <= 998
        long_body_lines = [
            line for line in body.split(b"\n")
            if len(line) > 78 and not line.startswith(b"Content-")
        ]
        assert long_body_lines == []
