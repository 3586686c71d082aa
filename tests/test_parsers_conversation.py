"""Bounce reports, reply intents and sender authentication, read from raw text."""

from __future__ import annotations

import pytest

from parsers.authentication import authentication_failures
from parsers.bounce import looks_like_bounce, parse_bounce
from parsers.replies import classify_reply, new_text

DSN = (
    b"From: MAILER-DAEMON@mx.example.nl\r\nTo: info@alertincasso.nl\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.nl\r\n\r\n"
    b"Final-Recipient: rfc822; Jan@Debiteur.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
    b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: info@alertincasso.nl\r\nMessage-ID: <incasso.abc@alertincasso.nl>\r\n\r\nbody\r\n"
    b"--b--\r\n"
)


def test_rfc3464_report_is_read() -> None:
    bounce = parse_bounce(DSN)
    assert bounce is not None
    assert bounce.recipient == "jan@debiteur.example"
    assert bounce.status == "5.1.1"
    assert bounce.permanent is True
    assert bounce.original_message_id == "<incasso.abc@alertincasso.nl>"
    assert "user unknown" in bounce.diagnostic


def test_delayed_report_is_temporary() -> None:
    delayed = DSN.replace(b"Action: failed", b"Action: delayed").replace(b"Status: 5.1.1", b"Status: 4.4.7")
    bounce = parse_bounce(delayed)
    assert bounce is not None
    assert bounce.permanent is False
    assert bounce.status == "4.4.7"


def test_plain_text_bounce_is_read() -> None:
    raw = (
        b"From: postmaster@outlook.example\r\nSubject: Onbestelbaar: Ingebrekestelling\r\n\r\n"
        b"Uw bericht kon niet worden bezorgd bij piet@debiteur.example.\r\n"
        b"Remote server returned '550 5.4.1 Recipient address rejected: Access denied'\r\n\r\n"
        b"Message-ID: <incasso.def@alertincasso.nl>\r\n"
    )
    assert looks_like_bounce("postmaster@outlook.example", "Onbestelbaar: Ingebrekestelling", "text/plain")
    bounce = parse_bounce(raw)
    assert bounce is not None
    assert bounce.recipient == "piet@debiteur.example"
    assert bounce.status == "5.4.1"
    assert bounce.permanent is True
    assert bounce.original_message_id == "<incasso.def@alertincasso.nl>"


def test_ordinary_mail_is_not_a_bounce() -> None:
    raw = b"From: klant@example.nl\r\nSubject: Factuur\r\n\r\nZie bijlage.\r\n"
    assert parse_bounce(raw) is None
    assert not looks_like_bounce("klant@example.nl", "Factuur 2026-001", "multipart/mixed")


@pytest.mark.parametrize(
    ("body", "intents"),
    [
        ("Ik ben het hier niet mee eens, de levering was ondeugdelijk.", ("dispute",)),
        ("Ik heb het bedrag vorige week al overgemaakt.", ("paid",)),
        ("Mag ik in termijnen betalen?", ("arrangement",)),
        ("Let op: wij zijn verhuisd naar een nieuw adres.", ("address_change",)),
        ("Wij trekken de opdracht in, de zaak is opgelost.", ("withdrawn",)),
        ("Dank voor uw bericht.", ()),
    ],
)
def test_reply_intents(body: str, intents: tuple[str, ...]) -> None:
    assert classify_reply(body).intents == intents


def test_quoted_text_is_ignored() -> None:
    body = (
        "Prima, dank u.\n\n"
        "Op 4 dec. 2026 om 10:00 schreef Alert Incasso <info@alertincasso.nl>:\n"
        "> Bent u het niet eens met de vordering? Laat het ons weten.\n"
        "> U kunt ook een betalingsregeling aanvragen.\n"
    )
    assert new_text(body).strip() == "Prima, dank u."
    assert classify_reply(body).intents == ()


@pytest.mark.parametrize(
    ("header", "failures"),
    [
        ("mx.alertincasso.nl; spf=fail smtp.mailfrom=x.example; dkim=none; dmarc=fail header.from=y.example", ["spf=fail", "dmarc=fail"]),
        ("mx.alertincasso.nl; spf=pass smtp.mailfrom=x.example; dkim=fail; dmarc=pass", []),
        ("", []),
    ],
)
def test_authentication_failures(header: str, failures: list[str]) -> None:
    assert authentication_failures(header) == failures
