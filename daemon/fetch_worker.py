"""Fetch step: copy new mail from the mailbox into the database, then mark it there.

Each message is committed (raw bytes, SHA-256, Message-ID, mailbox, UIDVALIDITY, UID)
before the source is asked to move or flag it. A message whose move failed stays
unmarked in the ledger and is moved on a later pass.
"""

from __future__ import annotations

import logging
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from sqlalchemy import update

from daemon.context import DaemonContext
from daemon.runner import BackOff
from daemon.sources.base import MailboxSource, SourceError, SourceMessage, Watermark
from dossiers.inbound import RawMessage, mailbox_state, store_raw, unmarked_on_server
from dossiers.models import InboundMessage

logger = logging.getLogger(__name__)


class FetchWorker:
    name = "fetch"

    def __init__(self, context: DaemonContext, source: MailboxSource) -> None:
        self.context = context
        self.source = source
        self._failing = False

    def run_once(self) -> int:
        """Fetch one batch; return how many new messages were stored."""
        try:
            stored = self._fetch_batch()
            self._mark_leftovers()
        except SourceError as error:
            self._record_error(str(error))
            raise BackOff(f"mailbox {self.source.mailbox}: {error}") from error
        if self._failing:
            logger.info("mailbox %s reachable again", self.source.mailbox)
            self._failing = False
        return stored

    def _fetch_batch(self) -> int:
        context = self.context
        mailbox = self.source.mailbox
        with context.session() as session:
            state = mailbox_state(session, mailbox)
            watermark = Watermark(mailbox, state.uidvalidity, state.last_uid) if state.uidvalidity else None
            session.commit()

        stored = 0
        committed: list[SourceMessage] = []
        for message in self.source.fetch(watermark, self.context.settings.fetch_batch):
            uidvalidity = self.source.current_uidvalidity()
            with context.session() as session:
                now = context.clock.now()
                state = mailbox_state(session, mailbox)
                if uidvalidity != state.uidvalidity:
                    if state.uidvalidity:
                        logger.warning(
                            "mailbox %s UIDVALIDITY changed from %s to %s; fetching the folder anew",
                            mailbox,
                            state.uidvalidity,
                            uidvalidity,
                        )
                    state.uidvalidity = uidvalidity
                    state.last_uid = 0
                inbound_id = store_raw(session, _raw_message(message), now)
                if message.uid is not None and message.uid > state.last_uid:
                    state.last_uid = message.uid
                state.last_fetch_at = now
                session.commit()
            if inbound_id is None:
                logger.debug("message %s was already stored", message.source_key)
            else:
                stored += 1
                logger.info("stored message %s from %s (%s bytes)", inbound_id, mailbox, len(message.raw))
            committed.append(message)

        # Every message of the batch is committed; only now may the server change.
        self._mark(committed)

        with context.session() as session:
            state = mailbox_state(session, mailbox)
            state.last_fetch_at = context.clock.now()
            state.last_error = None
            session.commit()
        return stored

    def _mark(self, messages: list[SourceMessage]) -> None:
        if not messages:
            return
        try:
            self.source.mark_processed_many(messages)
        except SourceError as error:
            logger.warning("could not mark %s message(s) on the server; will retry: %s", len(messages), error)
            return
        keys = [message.source_key for message in messages]
        with self.context.session() as session:
            session.execute(
                update(InboundMessage)
                .where(InboundMessage.source_key.in_(keys), InboundMessage.server_marked_at.is_(None))
                .values(server_marked_at=self.context.clock.now())
            )
            session.commit()

    def _mark_leftovers(self) -> None:
        """Move messages that were stored in an earlier pass but never marked."""
        with self.context.session() as session:
            leftovers = [
                SourceMessage(row.mailbox, row.uidvalidity, row.uid, row.server_key, b"")
                for row in unmarked_on_server(session, self.source.mailbox)
            ]
        current = self.source.current_uidvalidity()
        markable = []
        for message in leftovers:
            if message.uid is not None and message.uidvalidity != current:
                # The UID belongs to an older UIDVALIDITY and may now name another message.
                self._set_marked(message.source_key, note="uidvalidity changed; not marked")
                continue
            markable.append(message)
        self._mark(markable)

    def _set_marked(self, source_key: str, note: str) -> None:
        with self.context.session() as session:
            row = session.query(InboundMessage).filter_by(source_key=source_key).one_or_none()
            if row is not None:
                row.server_marked_at = self.context.clock.now()
                session.commit()
        logger.warning("message %s: %s", source_key, note)

    def _record_error(self, error: str) -> None:
        if not self._failing:
            logger.error("mailbox %s unreachable: %s", self.source.mailbox, error)
            self._failing = True
        with self.context.session() as session:
            state = mailbox_state(session, self.source.mailbox)
            state.last_error = error[:2000]
            state.last_error_at = self.context.clock.now()
            session.commit()


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return value


def _raw_message(message: SourceMessage) -> RawMessage:
    headers = BytesHeaderParser(policy=compat32).parsebytes(message.raw[:65536])
    message_id = str(headers.get("Message-ID", "") or "").strip()
    from_address = parseaddr(str(headers.get("From", "") or ""))[1].lower()
    subject = _decoded(str(headers.get("Subject", "") or ""))
    return RawMessage(
        source_key=message.source_key,
        server_key=message.key,
        mailbox=message.mailbox,
        uidvalidity=message.uidvalidity,
        uid=message.uid,
        raw=message.raw,
        message_id=message_id,
        from_address=from_address,
        subject=subject[:1000],
    )
