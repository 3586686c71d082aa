"""The fetch worker: store before marking, retry lost marks, survive UIDVALIDITY changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers.dovecot import DovecotServer, dovecot  # noqa: F401
from sqlalchemy import select

from daemon.context import DaemonContext
from daemon.fetch_worker import FetchWorker
from daemon.runner import BackOff
from daemon.settings import load_settings
from daemon.sources.base import SourceError, SourceMessage
from daemon.sources.imap import ImapSource
from daemon.sources.maildir import MaildirSource
from dossiers.blobs import get_blob
from dossiers.migrate import upgrade
from dossiers.models import InboundMessage, MailboxState


def raw_mail(number: int) -> bytes:
    return (
        f"From: klant{number}@example.nl\r\nTo: info@alertincasso.nl\r\n"
        f"Subject: Factuur {number}\r\nMessage-ID: <m{number}@example.nl>\r\n\r\nZie bijlage.\r\n"
    ).encode()


@pytest.fixture
def context(daemon_env: dict[str, str]) -> Iterator[DaemonContext]:
    context = DaemonContext.from_settings(load_settings(environ=daemon_env))
    upgrade(context.engine)
    yield context
    context.close()


class FailingMarks(MaildirSource):
    """A Maildir whose server-side mark fails until `healthy` is set, as after a crash."""

    healthy = False

    def mark_processed(self, message: SourceMessage) -> None:
        if not self.healthy:
            raise SourceError("connection lost while moving")
        super().mark_processed(message)


def test_message_is_stored_before_it_is_marked(context: DaemonContext, tmp_path: Path) -> None:
    maildir = tmp_path / "maildir"
    source = FailingMarks(maildir)
    for number in range(3):
        (maildir / "new" / f"17000000{number}.test").write_bytes(raw_mail(number))

    worker = FetchWorker(context, source)
    assert worker.run_once() == 3
    with context.session() as session:
        rows = session.execute(select(InboundMessage).order_by(InboundMessage.id)).scalars().all()
        assert [row.server_marked_at for row in rows] == [None, None, None]
        assert get_blob(session, rows[0].raw_sha256) == raw_mail(0)
        assert rows[0].message_id == "<m0@example.nl>"
    assert len(list((maildir / "new").iterdir())) == 3

    source.healthy = True
    assert worker.run_once() == 0  # nothing new is stored twice ...
    with context.session() as session:
        rows = session.execute(select(InboundMessage)).scalars().all()
        assert len(rows) == 3
        assert all(row.server_marked_at is not None for row in rows)  # ... and the marks are caught up
    assert list((maildir / "new").iterdir()) == []
    assert len(list((maildir / "cur").iterdir())) == 3


@pytest.mark.dovecot
def test_imap_watermark_and_uidvalidity_change(context: DaemonContext, dovecot: DovecotServer) -> None:  # noqa: F811
    source = ImapSource(dovecot.host, dovecot.port, "none", dovecot.user, dovecot.password, mark_mode="flag")
    worker = FetchWorker(context, source)
    dovecot.deliver_many(raw_mail(number) for number in range(5))

    assert worker.run_once() == 5
    with context.session() as session:
        state = session.get(MailboxState, source.mailbox)
        assert state is not None
        assert state.last_uid == 5
        first_validity = state.uidvalidity
    assert worker.run_once() == 0

    dovecot.set_uidvalidity(first_validity + 100)
    dovecot.deliver(raw_mail(5))
    stored = worker.run_once()
    with context.session() as session:
        state = session.get(MailboxState, source.mailbox)
        assert state is not None
        assert state.uidvalidity == first_validity + 100
        rows = session.execute(select(InboundMessage)).scalars().all()
    # Under the new UIDVALIDITY every message in the folder is fetched again; each gets
    # its own ledger row (its source key names the new UIDVALIDITY), and intake links
    # byte-identical copies to the first one instead of opening anything twice.
    assert stored == 6
    assert len(rows) == 11
    assert len({row.raw_sha256 for row in rows}) == 6
    source.close()


@pytest.mark.dovecot
def test_unreachable_imap_backs_off_and_records_the_error(context: DaemonContext, dovecot: DovecotServer) -> None:  # noqa: F811
    port = dovecot.port
    dovecot.stop()
    source = ImapSource("127.0.0.1", port, "none", "info", "secret", timeout=2)
    worker = FetchWorker(context, source)
    with pytest.raises(BackOff):
        worker.run_once()
    with context.session() as session:
        state = session.get(MailboxState, source.mailbox)
        assert state is not None
        assert state.last_error
        assert "secret" not in state.last_error
