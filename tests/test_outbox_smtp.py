"""SmtpTransport against a real aiosmtpd server on loopback."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import pytest
from servers.certs import SelfSignedCertificate, self_signed  # noqa: F401
from servers.smtp import SmtpSink, smtp_sink, smtp_sink_auth  # noqa: F401

from daemon.outbox.base import DeliveryError, OutgoingMail
from daemon.outbox.smtp import SmtpTransport, TransportConfigError


def build_mail(outbox_id: int, recipients: tuple[str, ...] = ("debiteur@example.nl",)) -> OutgoingMail:
    message = EmailMessage()
    message_id = f"<outbox-{outbox_id}@incasso.test>"
    message["From"] = "info@incasso.test"
    message["To"] = ", ".join(recipients)
    message["Subject"] = f"Dossier {outbox_id}"
    message["Message-ID"] = message_id
    message["In-Reply-To"] = "<client-original@example.nl>"
    message.set_content("Geachte heer, mevrouw,\n\nZie bijlage.\n")
    return OutgoingMail(
        outbox_id=outbox_id,
        message_id=message_id,
        envelope_from="bounces@incasso.test",
        recipients=recipients,
        raw=message.as_bytes(),
    )


def plain_transport(sink: SmtpSink, **kwargs: object) -> SmtpTransport:
    return SmtpTransport(sink.host, sink.port, "none", None, None, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_deliver_records_envelope_and_headers(smtp_sink: SmtpSink) -> None:
    transport = plain_transport(smtp_sink)
    mail = build_mail(1, ("a@example.nl", "b@example.nl"))

    transport.deliver(mail)
    transport.close()

    [received] = smtp_sink.messages
    assert received.envelope_from == "bounces@incasso.test"
    assert received.recipients == ("a@example.nl", "b@example.nl")
    assert received.message_id == "<outbox-1@incasso.test>"
    assert received.in_reply_to == "<client-original@example.nl>"
    assert b"Zie bijlage." in received.raw


def test_deliveries_reuse_one_connection(smtp_sink: SmtpSink) -> None:
    transport = plain_transport(smtp_sink)

    for outbox_id in range(1, 6):
        transport.deliver(build_mail(outbox_id))
    transport.close()

    assert [m.message_id for m in smtp_sink.messages] == [f"<outbox-{i}@incasso.test>" for i in range(1, 6)]
    assert smtp_sink.connection_count == 1
    assert len({m.peer for m in smtp_sink.messages}) == 1


def test_reconnects_after_server_dropped_connection(smtp_sink: SmtpSink) -> None:
    transport = plain_transport(smtp_sink)
    transport.deliver(build_mail(1))

    smtp_sink.drop_connections()
    transport.deliver(build_mail(2))
    transport.close()

    assert [m.message_id for m in smtp_sink.messages] == ["<outbox-1@incasso.test>", "<outbox-2@incasso.test>"]
    assert smtp_sink.connection_count == 2


def test_451_on_data_is_transient(smtp_sink: SmtpSink) -> None:
    transport = plain_transport(smtp_sink)
    smtp_sink.fail_next(1, code=451, message="4.3.0 Mailbox busy")

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1))

    assert caught.value.permanent is False
    assert caught.value.code == 451
    assert smtp_sink.messages == []

    # The retry on the same transport goes through.
    transport.deliver(build_mail(1))
    transport.close()
    assert len(smtp_sink.messages) == 1


def test_550_recipient_is_permanent(smtp_sink: SmtpSink) -> None:
    transport = plain_transport(smtp_sink)
    smtp_sink.reject_recipient("weg@example.nl", code=550)

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1, ("weg@example.nl",)))

    assert caught.value.permanent is True
    assert caught.value.code == 550
    assert smtp_sink.messages == []

    # The connection is still usable for the next message.
    transport.deliver(build_mail(2))
    transport.close()
    assert [m.message_id for m in smtp_sink.messages] == ["<outbox-2@incasso.test>"]
    assert smtp_sink.connection_count == 1


def test_4xx_recipient_refusal_is_transient(smtp_sink: SmtpSink) -> None:
    transport = plain_transport(smtp_sink)
    smtp_sink.reject_recipient("vol@example.nl", code=452, message="4.2.2 Mailbox full")

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1, ("vol@example.nl",)))
    transport.close()

    assert caught.value.permanent is False
    assert caught.value.code == 452


def test_mixed_recipient_refusals_are_transient(smtp_sink: SmtpSink) -> None:
    transport = plain_transport(smtp_sink)
    smtp_sink.reject_recipient("weg@example.nl", code=550)
    smtp_sink.reject_recipient("vol@example.nl", code=452, message="4.2.2 Mailbox full")

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1, ("weg@example.nl", "vol@example.nl")))
    transport.close()

    assert caught.value.permanent is False
    assert caught.value.code == 452


def test_partial_refusal_delivers_to_the_rest(smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture) -> None:
    transport = plain_transport(smtp_sink)
    smtp_sink.reject_recipient("weg@example.nl", code=550)

    with caplog.at_level(logging.WARNING, logger="daemon.outbox.smtp"):
        transport.deliver(build_mail(1, ("weg@example.nl", "ok@example.nl")))
    transport.close()

    [received] = smtp_sink.messages
    assert received.recipients == ("ok@example.nl",)
    assert "rejected for 1 of 2 recipients" in caplog.text
    assert "weg@example.nl" not in caplog.text


@pytest.mark.parametrize(
    ("stage", "code", "permanent"),
    [
        ("mail", 451, False),
        ("mail", 553, True),
        ("data", 552, True),
        ("data", 554, True),
        ("data", 421, False),
    ],
)
def test_reply_codes_are_classified(smtp_sink: SmtpSink, stage: str, code: int, permanent: bool) -> None:
    transport = plain_transport(smtp_sink)
    smtp_sink.fail_next(1, code=code, message="injected", stage=stage)  # type: ignore[arg-type]

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1))
    transport.close()

    assert caught.value.code == code
    assert caught.value.permanent is permanent


def test_refused_connection_is_transient() -> None:
    sink = SmtpSink().start()
    host, port = sink.host, sink.port
    sink.stop()
    transport = SmtpTransport(host, port, "none", None, None, timeout=2)

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1))

    assert caught.value.permanent is False
    assert caught.value.code is None


def test_login_with_credentials(smtp_sink_auth: SmtpSink, caplog: pytest.LogCaptureFixture) -> None:
    transport = SmtpTransport(smtp_sink_auth.host, smtp_sink_auth.port, "none", "mailer", "geheim", timeout=5)

    with caplog.at_level(logging.DEBUG):
        transport.deliver(build_mail(1))
    transport.close()

    [received] = smtp_sink_auth.messages
    assert received.authenticated_as == "mailer"
    assert "geheim" not in caplog.text
    assert "geheim" not in repr(transport)


def test_wrong_password_is_transient_with_code(smtp_sink_auth: SmtpSink) -> None:
    transport = SmtpTransport(smtp_sink_auth.host, smtp_sink_auth.port, "none", "mailer", "fout", timeout=5)

    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1))

    assert caught.value.permanent is False
    assert caught.value.code == 535
    assert "fout" not in str(caught.value)
    assert smtp_sink_auth.messages == []


@pytest.mark.parametrize("host", ["192.0.2.10", "10.0.0.1", "2001:db8::1"])
def test_plaintext_to_remote_host_is_rejected(host: str) -> None:
    with pytest.raises(TransportConfigError, match="loopback"):
        SmtpTransport(host, 25, "none", None, None)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_plaintext_to_loopback_is_allowed(host: str) -> None:
    transport = SmtpTransport(host, 25, "none", None, None)
    assert transport.host == host


def test_invalid_security_is_rejected() -> None:
    with pytest.raises(TransportConfigError, match="invalid SMTP security"):
        SmtpTransport("127.0.0.1", 25, "ssl", None, None)  # type: ignore[arg-type]


def test_user_without_password_is_rejected() -> None:
    with pytest.raises(TransportConfigError, match="both the SMTP user and password"):
        SmtpTransport("127.0.0.1", 25, "none", "mailer", None)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_delivery_with_trusted_certificate(self_signed: SelfSignedCertificate, security: str) -> None:
    sink = SmtpSink(users={"mailer": "geheim"}, tls=security, certificate=self_signed).start()  # type: ignore[arg-type]
    try:
        transport = SmtpTransport(
            "localhost", sink.port, security, "mailer", "geheim",  # type: ignore[arg-type]
            timeout=5, ssl_context=self_signed.client_context(),
        )
        transport.deliver(build_mail(1))
        transport.close()
    finally:
        sink.stop()

    [received] = sink.messages
    assert received.authenticated_as == "mailer"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_untrusted_certificate_is_rejected(self_signed: SelfSignedCertificate, security: str) -> None:
    sink = SmtpSink(tls=security, certificate=self_signed).start()  # type: ignore[arg-type]
    try:
        transport = SmtpTransport("localhost", sink.port, security, None, None, timeout=5)  # type: ignore[arg-type]
        with pytest.raises(DeliveryError) as caught:
            transport.deliver(build_mail(1))
    finally:
        sink.stop()

    assert caught.value.permanent is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert sink.messages == []
