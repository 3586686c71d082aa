"""Conversations against a real Dovecot and SMTP receiver: every kind of incoming message
lands in the right place, and no exchange with a robot loops.

Each test opens one dossier from a generated client mail, then scripts the next
message (a client's follow-up, a debtor's reply, an auto-reply, a bounce, an impostor)
and runs the daemon's workers in this process until they are idle.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from daemon_helpers import example_clients
from servers.dovecot import DovecotServer, dovecot  # noqa: F401
from servers.smtp import SmtpSink, smtp_sink  # noqa: F401
from sqlalchemy import select

from conftest import TODAY
from daemon.app import Workers, make_workers
from daemon.clock import AMSTERDAM, Clock
from daemon.context import DaemonContext
from daemon.examples import build_example_mails
from daemon.runner import run_until_idle
from daemon.settings import load_settings
from dossiers.clients import register_client
from dossiers.ledger import HoldRow
from dossiers.migrate import upgrade
from dossiers.models import Debtor, Document, Dossier, Event, InboundMessage, Letter, OutboxItem, ReviewItem

pytestmark = pytest.mark.dovecot

DEBTOR_EMAIL = "boekhouding@debiteur-voorbeeld.nl"


class OfficeHoursClock(Clock):
    """Today at 10:00 in Amsterdam, so letters to debtors may go out by e-mail at once."""

    def __init__(self) -> None:
        super().__init__(TODAY)

    def now(self) -> datetime:
        return datetime.combine(TODAY, time(10, 0), tzinfo=AMSTERDAM).astimezone(timezone.utc)


@dataclass
class Desk:
    """The daemon under test with its mailbox, SMTP receiver and the first dossier."""

    context: DaemonContext
    workers: Workers
    server: DovecotServer
    sink: SmtpSink
    client_email: str
    dossier_number: str = ""
    reply_id: str = ""
    letter_id: str = ""

    def run(self) -> None:
        run_until_idle(self.workers.in_order())

    def deliver(self, raw: bytes) -> None:
        self.server.deliver(raw)
        self.run()

    def last_inbound(self) -> InboundMessage:
        with self.context.session() as session:
            return session.execute(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)).scalar_one()

    def dossier(self) -> Dossier:
        with self.context.session() as session:
            dossier = session.execute(select(Dossier).where(Dossier.number == self.dossier_number)).scalar_one()
            dossier.debtor  # noqa: B018  (load before the session closes)
            dossier.claims  # noqa: B018
            return dossier

    def events(self) -> list[str]:
        with self.context.session() as session:
            dossier_id = session.execute(select(Dossier.id).where(Dossier.number == self.dossier_number)).scalar_one()
            return list(session.execute(select(Event.kind).where(Event.dossier_id == dossier_id).order_by(Event.id)).scalars())

    def open_holds(self) -> list[str]:
        with self.context.session() as session:
            dossier_id = session.execute(select(Dossier.id).where(Dossier.number == self.dossier_number)).scalar_one()
            query = select(HoldRow.kind).where(HoldRow.dossier_id == dossier_id, HoldRow.lifted_on.is_(None))
            return sorted(session.execute(query).scalars())

    def open_items(self, kind: str) -> list[ReviewItem]:
        with self.context.session() as session:
            query = select(ReviewItem).where(ReviewItem.kind == kind, ReviewItem.status == "open").order_by(ReviewItem.id)
            return list(session.execute(query).scalars())


def compose(
    sender: str,
    subject: str,
    body: str,
    *,
    in_reply_to: str = "",
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "info@alertincasso.nl"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc))
    message["Message-ID"] = make_msgid(domain="test.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, mime_type, data in attachments:
        maintype, subtype = mime_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture
def desk(dovecot: DovecotServer, smtp_sink: SmtpSink, daemon_env: dict[str, str]) -> Iterator[Desk]:  # noqa: F811
    environ = {
        **daemon_env,
        "INCASSO_IMAP_HOST": dovecot.host,
        "INCASSO_IMAP_PORT": str(dovecot.port),
        "INCASSO_IMAP_SECURITY": "none",
        "INCASSO_IMAP_USER": dovecot.user,
        "INCASSO_IMAP_PASSWORD": dovecot.password,
        "INCASSO_SMTP_HOST": smtp_sink.host,
        "INCASSO_SMTP_PORT": str(smtp_sink.port),
        "INCASSO_SMTP_SECURITY": "none",
    }
    context = DaemonContext.from_settings(load_settings(environ=environ))
    context.clock = OfficeHoursClock()
    upgrade(context.engine)
    claim = build_example_mails(1, seed=2026, today=TODAY)[0]
    with context.session() as session:
        for email, name in example_clients([claim]).items():
            register_client(session, email, name=name, now=context.clock.now())
        session.commit()

    workers = make_workers(context)
    desk = Desk(context, workers, dovecot, smtp_sink, claim.client.email)
    dovecot.deliver(claim.raw)
    run_until_idle([workers.fetch, workers.intake])
    with context.session() as session:
        dossier = session.execute(select(Dossier)).scalar_one()
        dossier.debtor.email = DEBTOR_EMAIL  # staff added the debtor's e-mail before the letter
        session.commit()
        desk.dossier_number = dossier.number
    desk.run()

    received = smtp_sink.messages
    desk.reply_id = next(message.message_id for message in received if message.recipients == (claim.client.email,))
    desk.letter_id = next(message.message_id for message in received if message.recipients == (DEBTOR_EMAIL,))
    yield desk
    workers.close()
    context.close()


def test_client_followup_with_document_is_attached_and_acknowledged(desk: Desk) -> None:
    sent_before = len(desk.sink.messages)
    desk.deliver(
        compose(
            desk.client_email,
            "Re: aanvulling",
            "Hierbij nog de algemene voorwaarden.",
            in_reply_to=desk.reply_id,
            attachments=(("Algemene voorwaarden.pdf", "application/pdf", b"%PDF-1.4\n% voorwaarden\n%%EOF\n"),),
        )
    )
    inbound = desk.last_inbound()
    assert inbound.outcome == "dossier"
    assert inbound.reason == "client_followup"
    assert "client_followup" in desk.events()
    with desk.context.session() as session:
        names = session.execute(select(Document.filename).where(Document.dossier_id == inbound.dossier_id)).scalars().all()
    assert "Algemene voorwaarden.pdf" in names
    assert [item.reasons[0]["code"] for item in desk.open_items("followup")] == ["client_followup"]
    acknowledgements = desk.sink.messages[sent_before:]
    assert len(acknowledgements) == 1
    assert desk.dossier_number in (message_from_bytes(acknowledgements[0].raw, policy=policy.default)["Subject"])


def test_client_reports_payment_by_number_pauses_track(desk: Desk) -> None:
    sent_before = len(desk.sink.messages)
    desk.deliver(compose(desk.client_email, f"Dossier {desk.dossier_number}", "De debiteur heeft inmiddels betaald, u kunt stoppen."))
    assert desk.last_inbound().outcome == "dossier"
    assert desk.open_holds() == ["staff"]
    assert [item.reasons[0]["code"] for item in desk.open_items("followup")] == ["client_reports_paid"]
    assert desk.sink.messages[sent_before:] == []


@pytest.mark.parametrize(
    ("body", "intent", "code", "holds"),
    [
        ("Ik ben het niet eens met deze factuur, het werk is nooit geleverd.", "dispute", "debtor_disputes", ["dispute"]),
        ("Kan ik in termijnen betalen? Graag een betalingsregeling.", "arrangement", "debtor_requests_arrangement", ["staff"]),
        ("Het bedrag is gisteren overgemaakt, zie het betaalbewijs.", "paid", "debtor_reports_paid", ["staff"]),
        ("Wij zijn verhuisd, ons nieuw adres is Dorpsstraat 1.", "address_change", "debtor_address_changed", []),
    ],
)
def test_debtor_reply_to_letter_becomes_task(desk: Desk, body: str, intent: str, code: str, holds: list[str]) -> None:
    sent_before = len(desk.sink.messages)
    desk.deliver(compose(DEBTOR_EMAIL, "Re: Ingebrekestelling", body, in_reply_to=desk.letter_id))
    inbound = desk.last_inbound()
    assert inbound.outcome == "dossier"
    assert inbound.reason == f"debtor_response:{intent}"
    tasks = desk.open_items("task")
    assert [item.reasons[0]["code"] for item in tasks] == [code]
    assert desk.open_holds() == holds
    assert desk.dossier().status == "active"
    assert desk.sink.messages[sent_before:] == []  # staff reply to debtors, not the daemon


def test_number_from_stranger_goes_to_triage(desk: Desk) -> None:
    desk.deliver(compose("iemand@elders.example", f"Vraag over {desk.dossier_number}", "Wij hebben betaald."))
    inbound = desk.last_inbound()
    assert inbound.outcome == "review"
    assert inbound.reason == "sender_not_in_dossier"
    with desk.context.session() as session:
        item = session.execute(select(ReviewItem).where(ReviewItem.kind == "triage")).scalar_one()
        suggested = session.get(Dossier, item.suggested_dossier_id)
    assert suggested is not None and suggested.number == desk.dossier_number
    assert desk.dossier().status == "active"


def test_forged_message_id_is_not_trusted(desk: Desk) -> None:
    forged = desk.reply_id.replace(desk.reply_id.split(".")[2][:16], "0" * 16)
    desk.deliver(compose("iemand@elders.example", "Re: uw mail", "Stop maar, alles is betaald.", in_reply_to=forged))
    inbound = desk.last_inbound()
    assert inbound.outcome == "review"
    assert inbound.reason == "unknown_sender"
    assert desk.dossier().status == "active"


def test_out_of_office_is_a_note_without_reply(desk: Desk) -> None:
    sent_before = len(desk.sink.messages)
    desk.deliver(
        compose(
            desk.client_email,
            "Automatisch antwoord: afwezig",
            "Ik ben afwezig tot maandag. Factuur 2024-0808 van € 540,00 regel ik daarna.",
            in_reply_to=desk.reply_id,
            headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        )
    )
    inbound = desk.last_inbound()
    assert inbound.outcome == "ignored"
    assert inbound.reason == "auto_reply"
    assert inbound.dossier_id is not None
    assert "automatic_reply_noted" in desk.events()
    assert desk.sink.messages[sent_before:] == []
    with desk.context.session() as session:
        assert session.execute(select(Dossier)).scalars().all().__len__() == 1


def dsn(original_id: str, recipient: str, status: str, action: str) -> bytes:
    boundary = "dsn-boundary"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.debiteur-voorbeeld.nl>\r\n"
        f"To: info@alertincasso.nl\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-{status}@mx.debiteur-voorbeeld.nl>\r\nAuto-Submitted: auto-replied\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.debiteur-voorbeeld.nl\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {status[0]}50 {status} mailbox unavailable\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: info@alertincasso.nl\r\nTo: {recipient}\r\nMessage-ID: {original_id}\r\nSubject: Ingebrekestelling\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def test_permanent_bounce_of_letter_switches_to_post(desk: Desk) -> None:
    desk.deliver(dsn(desk.letter_id, DEBTOR_EMAIL, "5.1.1", "failed"))
    inbound = desk.last_inbound()
    assert inbound.outcome == "dossier"
    assert inbound.reason == "bounce"
    with desk.context.session() as session:
        debtor = session.execute(select(Debtor)).scalar_one()
        assert debtor.email_unusable_at is not None
        channels = sorted(session.execute(select(Letter.channel)).scalars())
        posted = session.execute(select(OutboxItem).where(OutboxItem.kind == "post")).scalars().all()
    assert channels == ["email", "post"]
    assert len(posted) == 1
    assert posted[0].status == "sent"
    assert "letter_rerouted_to_post" in desk.events()
    assert len(desk.dossier().claims) == 1  # a returned letter is never read as a new invoice


def test_temporary_bounce_is_only_recorded(desk: Desk) -> None:
    desk.deliver(dsn(desk.letter_id, DEBTOR_EMAIL, "4.2.2", "delayed"))
    assert desk.last_inbound().reason == "bounce"
    with desk.context.session() as session:
        assert session.execute(select(Debtor.email_unusable_at)).scalar_one() is None
        assert session.execute(select(Letter.channel)).scalars().all() == ["email"]


def test_plain_text_bounce_of_client_reply_becomes_task(desk: Desk) -> None:
    text_bounce = (
        "From: postmaster@mail.client.example\r\nTo: info@alertincasso.nl\r\n"
        "Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <tb1@mail.client.example>\r\n\r\n"
        f"Delivery to the following recipient failed permanently:\r\n\r\n     {desk.client_email}\r\n\r\n"
        "Technical details of permanent failure:\r\n550 5.1.1 The email account that you tried to reach does not exist.\r\n\r\n"
        f"----- Original message -----\r\n\r\nMessage-ID: {desk.reply_id}\r\nSubject: Dossier\r\n"
    ).encode()
    desk.deliver(text_bounce)
    assert desk.last_inbound().reason == "bounce"
    assert [item.reasons[0]["code"] for item in desk.open_items("task")] == ["client_mail_bounced"]


def test_unknown_sender_waits_until_registered(desk: Desk) -> None:
    stranger_claim = build_example_mails(2, seed=99, today=TODAY)[1]
    desk.deliver(stranger_claim.raw)
    inbound = desk.last_inbound()
    assert inbound.outcome == "review"
    assert inbound.reason == "unknown_sender"
    sent_before = len(desk.sink.messages)

    with desk.context.session() as session:
        registration = register_client(session, stranger_claim.client.email, name=stranger_claim.client.name, now=desk.context.clock.now())
        session.commit()
    assert registration.released == 1
    desk.run()

    with desk.context.session() as session:
        row = session.get(InboundMessage, inbound.id)
        assert row is not None
        assert row.outcome == stranger_claim.expect
        assert row.dossier_id is not None
    assert any(message.in_reply_to == stranger_claim.message_id for message in desk.sink.messages[sent_before:])


def test_dmarc_failure_from_known_address_goes_to_triage(desk: Desk) -> None:
    spoof = build_example_mails(9, seed=5, today=TODAY)[8]
    raw = b"Authentication-Results: mx.alertincasso.nl; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=x\r\n" + spoof.raw
    raw = raw.replace(spoof.client.email.encode(), desk.client_email.encode())
    desk.deliver(raw)
    inbound = desk.last_inbound()
    assert inbound.outcome == "review"
    assert inbound.reason == "authentication_failed"
    with desk.context.session() as session:
        assert len(session.execute(select(Dossier)).scalars().all()) == 1


def test_resent_claim_joins_dossier_with_one_notice(desk: Desk) -> None:
    original = build_example_mails(1, seed=2026, today=TODAY)[0]
    sent_before = len(desk.sink.messages)
    forward = compose(
        original.client.email,
        "Fwd: " + "factuur nogmaals",
        "Nogmaals de factuur, voor de zekerheid.",
        attachments=tuple((attachment.filename, "application/pdf", attachment.content) for attachment in original.attachments),
    )
    desk.deliver(forward)
    desk.deliver(forward.replace(b"Nogmaals", b"Nog een keer"))
    with desk.context.session() as session:
        assert len(session.execute(select(Dossier)).scalars().all()) == 1
        reasons = session.execute(select(InboundMessage.reason).order_by(InboundMessage.id)).scalars().all()
    assert reasons[-2:] == ["duplicate", "duplicate"]
    notices = desk.sink.messages[sent_before:]
    assert len(notices) == 1
    assert "al bij ons in behandeling" in message_from_bytes(notices[0].raw, policy=policy.default).get_content()


def test_two_daemons_stop_after_one_message_each(desk: Desk) -> None:
    """Our reply reaches another agency's daemon, and a naive robot replies to ours."""
    ours = next(message for message in desk.sink.messages if message.message_id == desk.reply_id)

    # Another instance of this daemon receiving our reply: it is automatic, so ignored.
    other = DaemonContext.from_settings(
        load_settings(environ={**{key: str(value) for key, value in _env_of(desk).items()}, "INCASSO_FROM": "info@ander-bureau.example"})
    )
    from dossiers.intake_rules import automatic_reason
    from parsers.mail import parse_message

    assert automatic_reason(parse_message(ours.raw), other.own_addresses) is not None
    other.close()

    # A robot that strips our headers and answers anyway: one answer, and we stay silent.
    sent_before = len(desk.sink.messages)
    robot_answer = compose(desk.client_email, "Re: " + "Dossier", "Bedankt voor uw bericht, wij reageren zo snel mogelijk.", in_reply_to=desk.reply_id)
    for _ in range(3):
        desk.deliver(robot_answer)
    assert desk.sink.messages[sent_before:] == []


def _env_of(desk: Desk) -> dict[str, object]:
    settings = desk.context.settings
    return {"INCASSO_DATABASE_URL": settings.database_url, "INCASSO_SECRET_KEY": settings.secret_key}
