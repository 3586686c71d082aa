"""Outbox step: deliver queued e-mails over SMTP (or into the outbox folder) and
write letters for post into the print folder.

A temporary failure (4xx, timeout, refused connection) is retried after the configured
back-off; a permanent one (5xx) or running out of retries marks the item `failed`, which
staff see with `incasso outbox list`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from daemon.context import DaemonContext
from daemon.logs import working_on
from daemon.outbox.base import DeliveryError, MailTransport, OutgoingMail
from daemon.outbox.folder import FolderTransport
from dossiers.blobs import get_blob
from dossiers.models import OutboxItem
from dossiers.outbox import claim_due, mark_failed, mark_retry, mark_sent

logger = logging.getLogger(__name__)

DEFAULT_RETRY_MINUTES = (1, 5, 15, 60, 240)


class OutboxWorker:
    name = "outbox"

    def __init__(self, context: DaemonContext, transport: MailTransport, print_folder: FolderTransport) -> None:
        self.context = context
        self.transport = transport
        self.print_folder = print_folder
        smtp = context.settings.smtp
        self.retry_minutes = smtp.retry_minutes if smtp else DEFAULT_RETRY_MINUTES

    def run_once(self) -> int:
        """Deliver the items that are due; return how many were handled."""
        with self.context.session() as session:
            items = claim_due(session, self.context.worker_id, self.context.clock.now())
            for item in items:
                with working_on(f"outbox:{item.id}"):
                    self._deliver(session, item)
                session.commit()
        return len(items)

    def _deliver(self, session, item: OutboxItem) -> None:  # type: ignore[no-untyped-def]
        now = self.context.clock.now()
        try:
            if item.kind == "post":
                pdf = get_blob(session, item.pdf_sha256 or "")
                path = self.print_folder.write_print_letter(item.id, pdf, item.subject)
                logger.info("letter %s written to the print folder as %s", item.id, path.name)
            else:
                assert item.raw is not None
                self.transport.deliver(
                    OutgoingMail(
                        outbox_id=item.id,
                        message_id=item.message_id or "",
                        envelope_from=self.context.settings.agency.from_address,
                        recipients=tuple(item.recipients),
                        raw=item.raw,
                    )
                )
                logger.info("mail %s (%s) delivered", item.id, item.purpose)
        except DeliveryError as error:
            self._failed_delivery(session, item, error, now)
            return
        except OSError as error:
            self._failed_delivery(session, item, DeliveryError(str(error), permanent=False), now)
            return
        mark_sent(session, item, now)

    def _failed_delivery(self, session, item: OutboxItem, error: DeliveryError, now) -> None:  # type: ignore[no-untyped-def]
        text = f"{error.code or ''} {error}".strip()
        if error.permanent:
            mark_failed(session, item, text, now)
            logger.error("mail %s rejected permanently: %s", item.id, text)
            return
        if item.attempts > len(self.retry_minutes):
            mark_failed(session, item, f"opgegeven na {item.attempts} pogingen: {text}", now)
            logger.error("mail %s failed after %s attempts: %s", item.id, item.attempts, text)
            return
        delay = timedelta(minutes=self.retry_minutes[item.attempts - 1])
        mark_retry(session, item, text, delay, now)
        logger.warning("mail %s temporarily failed (attempt %s), retry in %s: %s", item.id, item.attempts, delay, text)
