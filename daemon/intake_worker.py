"""Intake step: turn one stored message into a dossier, a review item or an ignore.

Parsing and extraction run outside any transaction (they are slow and pure). The
outcome, the dossier, the review item and the client's reply are then written in one
transaction, after re-checking that this worker still holds the message's lease.
"""

from __future__ import annotations

import logging

from daemon.context import DaemonContext
from daemon.logs import working_on
from daemon.replies import queue_dossier_reply
from dossiers.blobs import get_blob
from dossiers.inbound import claim_next, record_failure, still_leased_by
from dossiers.intake import apply_decision, ignore_message, park_for_review
from dossiers.intake_rules import Reason, automatic_reason, decide
from dossiers.models import InboundMessage
from parsers.extract import extract_claim
from parsers.mail import parse_message

logger = logging.getLogger(__name__)


class IntakeWorker:
    name = "intake"

    def __init__(self, context: DaemonContext) -> None:
        self.context = context

    def run_once(self) -> int:
        """Process at most one message; return how many were processed (0 or 1)."""
        clock = self.context.clock
        with self.context.session() as session:
            claimed = claim_next(session, self.context.worker_id, clock.now())
            if claimed is None:
                return 0
            inbound_id = claimed.id
            raw = get_blob(session, claimed.raw_sha256)
            size = claimed.size

        with working_on(f"msg:{inbound_id}"):
            try:
                self._process(inbound_id, raw, size)
            except Exception as error:  # the item boundary: record, keep the message, go on
                logger.exception("intake of message %s failed", inbound_id)
                self._record_failure(inbound_id, f"{type(error).__name__}: {error}")
        return 1

    def _process(self, inbound_id: int, raw: bytes, size: int) -> None:
        context = self.context
        today = context.clock.today()

        if size > context.settings.max_message_bytes:
            reason = Reason("message_too_large", f"Bericht is te groot om automatisch te lezen ({size // 1_048_576} MB)")
            self._park(inbound_id, reason)
            return

        mail = parse_message(raw)
        automatic = automatic_reason(mail, context.own_addresses)
        extraction = None if automatic else extract_claim(mail, today=today)

        with context.session() as session:
            inbound = still_leased_by(session, inbound_id, context.worker_id)
            if inbound is None:
                logger.info("message %s was finished by another worker; skipped", inbound_id)
                session.rollback()
                return
            now = context.clock.now()
            if automatic is not None:
                ignore_message(session, inbound, automatic, now)
                session.commit()
                logger.info("message %s ignored: %s", inbound_id, automatic.code)
                return

            assert extraction is not None
            decision = decide(mail, extraction, today=today)
            result = apply_decision(session, inbound, mail, extraction, decision, now=now, today=today)
            if result.dossier is not None and result.duplicate_of is None:
                queue_dossier_reply(
                    session,
                    context.templates,
                    context.settings.agency,
                    inbound,
                    mail,
                    result,
                    now=now,
                    received_on=today,
                )
            session.commit()
        logger.info(
            "message %s -> %s%s",
            inbound_id,
            result.outcome,
            f" ({decision.reason_codes})" if decision.reasons else "",
        )

    def _park(self, inbound_id: int, reason: Reason) -> None:
        with self.context.session() as session:
            inbound = still_leased_by(session, inbound_id, self.context.worker_id)
            if inbound is None:
                return
            park_for_review(session, inbound, reason, self.context.clock.now())
            session.commit()
        logger.warning("message %s parked for review: %s", inbound_id, reason.code)

    def _record_failure(self, inbound_id: int, error: str) -> None:
        with self.context.session() as session:
            parked = record_failure(session, inbound_id, self.context.worker_id, error, self.context.clock.now())
            if parked:
                inbound = session.get(InboundMessage, inbound_id)
                assert inbound is not None
                reason = Reason("intake_failed", f"Automatische verwerking mislukte herhaaldelijk: {error[:200]}")
                park_for_review(session, inbound, reason, self.context.clock.now())
                logger.error("message %s parked for review after repeated failures", inbound_id)
            session.commit()
