"""The outbox worker against a real SMTP receiver: retries, permanent failures, post."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from servers.smtp import SmtpSink, smtp_sink  # noqa: F401
from sqlalchemy import select

from conftest import TODAY
from daemon.app import make_workers
from daemon.clock import Clock
from daemon.context import DaemonContext
from daemon.mailbuild import build_mail
from daemon.settings import load_settings
from dossiers.blobs import put_blob
from dossiers.migrate import upgrade
from dossiers.models import Event, OutboxItem
from dossiers.outbox import QueuedMail, enqueue


class SteppingClock(Clock):
    """A clock the test moves forward, to reach retry moments without waiting."""

    def __init__(self) -> None:
        super().__init__(TODAY)
        self.offset = timedelta()

    def now(self):  # type: ignore[no-untyped-def]
        return super().now() + self.offset


@pytest.fixture
def context(daemon_env: dict[str, str], smtp_sink: SmtpSink):  # type: ignore[no-untyped-def]  # noqa: F811
    environ = {
        **daemon_env,
        "INCASSO_SMTP_HOST": smtp_sink.host,
        "INCASSO_SMTP_PORT": str(smtp_sink.port),
        "INCASSO_SMTP_SECURITY": "none",
    }
    context = DaemonContext.from_settings(load_settings(environ=environ))
    context.clock = SteppingClock()
    upgrade(context.engine)
    yield context
    context.close()


def queue_reply(context: DaemonContext, key: str, recipient: str = "klant@example.nl") -> str:
    now = context.clock.now()
    message_id = context.signer.make(key)
    raw = build_mail(
        sender_name="Alert Incasso",
        sender_address="info@alertincasso.nl",
        to=recipient,
        subject="Dossier 2026-000001-5",
        body="Test",
        message_id=message_id,
        moment=now,
    )
    with context.session() as session:
        enqueue(session, QueuedMail(key, "email", "reply", None, (recipient,), "Dossier", message_id, raw), now)
        enqueue(session, QueuedMail(key, "email", "reply", None, (recipient,), "Dossier", message_id, raw), now)
        session.commit()
    return message_id


def test_same_key_queues_one_item(context: DaemonContext) -> None:
    queue_reply(context, "reply:inbound:1")
    with context.session() as session:
        assert len(session.execute(select(OutboxItem)).scalars().all()) == 1


def test_temporary_failure_is_retried_after_backoff(context: DaemonContext, smtp_sink: SmtpSink) -> None:  # noqa: F811
    message_id = queue_reply(context, "reply:inbound:2")
    workers = make_workers(context)
    smtp_sink.fail_next(1, code=451)

    assert workers.outbox.run_once() == 1
    with context.session() as session:
        item = session.execute(select(OutboxItem)).scalar_one()
        assert item.status == "pending"
        assert item.attempts == 1
        assert "451" in (item.last_error or "")
    assert smtp_sink.messages == []

    assert workers.outbox.run_once() == 0  # not due before the first back-off step (1 minute)
    context.clock.offset = timedelta(minutes=2)  # type: ignore[attr-defined]
    assert workers.outbox.run_once() == 1

    with context.session() as session:
        item = session.execute(select(OutboxItem)).scalar_one()
        assert item.status == "sent"
        assert item.attempts == 2
    assert [message.message_id for message in smtp_sink.messages] == [message_id]
    workers.close()


def test_permanent_failure_is_recorded_for_staff(context: DaemonContext, smtp_sink: SmtpSink) -> None:  # noqa: F811
    queue_reply(context, "reply:inbound:3", recipient="weg@example.nl")
    smtp_sink.reject_recipient("weg@example.nl", code=550)
    workers = make_workers(context)

    assert workers.outbox.run_once() == 1
    with context.session() as session:
        item = session.execute(select(OutboxItem)).scalar_one()
        assert item.status == "failed"
        assert "550" in (item.last_error or "")
        events = session.execute(select(Event.kind)).scalars().all()
        assert "reply_failed" in events
    context.clock.offset = timedelta(days=1)  # type: ignore[attr-defined]
    assert workers.outbox.run_once() == 0
    workers.close()


def test_letter_for_post_lands_in_print_folder(context: DaemonContext, daemon_env: dict[str, str]) -> None:
    pdf = b"%PDF-1.7\n% brief\n%%EOF\n"
    now = context.clock.now()
    with context.session() as session:
        digest = put_blob(session, pdf, now)
        enqueue(session, QueuedMail("letter:dossier:1:phase:1:post", "post", "letter", None, (), "Ingebrekestelling 2026-000001-5.pdf", None, None, digest), now)
        session.commit()
    workers = make_workers(context)
    assert workers.outbox.run_once() == 1
    files = list((Path(daemon_env["INCASSO_OUTBOX_DIR"]) / "post").glob("*.pdf"))
    assert len(files) == 1
    assert files[0].read_bytes() == pdf
    workers.close()


def test_letter_mail_waits_for_contact_window() -> None:
    from datetime import datetime

    from phases.calendar import default_calendar
    from phases.contact_times import AMSTERDAM, next_contact_moment

    calendar = default_calendar()
    saturday_night = datetime(2026, 12, 5, 21, 30, tzinfo=AMSTERDAM)
    # Saturday 21:30 is after 20:00; Sunday is closed; Monday 7 December 07:00 is next.
    assert next_contact_moment(saturday_night, calendar) == datetime(2026, 12, 7, 7, 0, tzinfo=AMSTERDAM)
    christmas_eve_late = datetime(2026, 12, 24, 20, 0, tzinfo=AMSTERDAM)
    # 25 and 26 December are Atw holidays, 27 December is a Sunday.
    assert next_contact_moment(christmas_eve_late, calendar) == datetime(2026, 12, 28, 7, 0, tzinfo=AMSTERDAM)
    friday_noon = datetime(2026, 12, 4, 12, 0, tzinfo=AMSTERDAM)
    assert next_contact_moment(friday_noon, calendar) == friday_noon
