"""Intake step: decide what one stored message is and record exactly one outcome.

In order: a bounce of our own mail; other automatic mail (auto-replies, lists), noted on
its dossier when it answers one of ours; a failed sender authentication (triage); a
message that belongs to an existing dossier (client follow-up, re-sent claim or debtor
response); a new claim from a known client (dossier, or dossier in review); anything
else from an unknown sender (triage). Parsing and extraction run outside any
transaction; the outcome, its dossier changes and any reply are written in one
transaction after re-checking this worker's lease.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from daemon.context import DaemonContext
from daemon.logs import working_on
from daemon.replies import Replies
from dossiers import conversations
from dossiers.blobs import get_blob
from dossiers.corrections import client_hints
from dossiers.inbound import claim_next, record_failure, still_leased_by
from dossiers.intake import IntakeResult, apply_decision, park_for_review
from dossiers.intake_rules import Reason, automatic_reason, decide
from dossiers.matching import known_client, match_dossier
from dossiers.models import InboundMessage, OutboxItem
from parsers.authentication import authentication_failures
from parsers.bounce import Bounce, looks_like_bounce, parse_bounce
from parsers.extract import extract_claim
from parsers.mail import parse_message
from parsers.model import Extraction, ParsedMail
from parsers.replies import ReplyIntents, classify_reply

logger = logging.getLogger(__name__)


class IntakeWorker:
    name = "intake"

    def __init__(self, context: DaemonContext) -> None:
        self.context = context
        self.replies = Replies(context.templates, context.settings, context.signer)

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
        bounce = None
        if looks_like_bounce(mail.from_address, mail.subject, mail.headers.get("content-type", "")):
            bounce = parse_bounce(raw)
        extraction = None
        if automatic is None and bounce is None:
            # What staff corrected on this client's earlier invoices helps read this one.
            with context.session() as session:
                hints = client_hints(session, mail.from_address) if mail.from_address else None
            extraction = extract_claim(mail, today=today, hints=hints)
        intents = classify_reply(mail.text_body, mail.subject)

        with context.session() as session:
            inbound = still_leased_by(session, inbound_id, context.worker_id)
            if inbound is None:
                logger.info("message %s was finished by another worker; skipped", inbound_id)
                session.rollback()
                return
            result = self._route(session, inbound, mail, automatic, bounce, extraction, intents)
            session.commit()
        logger.info(
            "message %s -> %s%s",
            inbound_id,
            result.outcome,
            f" ({','.join(reason.code for reason in result.reasons)})" if result.reasons else "",
        )

    def _route(
        self,
        session,  # type: ignore[no-untyped-def]
        inbound: InboundMessage,
        mail: ParsedMail,
        automatic: Reason | None,
        bounce: Bounce | None,
        extraction: Extraction | None,
        intents: ReplyIntents,
    ) -> IntakeResult:
        now = self.context.clock.now()
        today = self.context.clock.today()
        signer = self.context.signer

        if bounce is not None:
            item = None
            if bounce.original_message_id and signer.is_ours(bounce.original_message_id):
                item = session.query(OutboxItem).filter_by(message_id=bounce.original_message_id).one_or_none()
            return conversations.apply_bounce(session, inbound, bounce, item, now)

        self._log_reused_message_id(session, inbound)
        match = match_dossier(session, inbound, mail, extraction, signer.ours_in)
        if automatic is not None:
            dossier = match.dossier if match and match.method == "message_id" else None
            return conversations.note_automatic(session, inbound, dossier, automatic, now)

        assert extraction is not None
        failures = authentication_failures(mail.headers.get("authentication-results", ""))
        if failures:
            reason = Reason("authentication_failed", f"Afzender niet bevestigd door de mailserver ({', '.join(failures)})")
            return conversations.triage(session, inbound, [reason], now, suggested=match.dossier if match else None, extraction=extraction)

        if match is not None and not match.trusted:
            reason = Reason("sender_not_in_dossier", f"Dossiernummer {match.dossier.number} genoemd door een afzender die niet bij dit dossier hoort")
            return conversations.triage(session, inbound, [reason], now, suggested=match.dossier, extraction=extraction)

        if match is not None and match.side == "debtor":
            return conversations.debtor_response(session, inbound, mail, extraction, match.dossier, intents, now=now, today=today)

        if match is not None:
            result, followup = conversations.client_followup(
                session, inbound, mail, extraction, match.dossier, intents, duplicate=match.duplicate, now=now, today=today
            )
            if followup.already_in_progress:
                self.replies.already_in_progress(session, match.dossier, mail, now=now)
            elif followup.acknowledge:
                self.replies.followup_received(session, inbound.id, match.dossier, mail, now=now)
            return result

        client = known_client(session, mail.from_address)
        if client is None:
            reason = Reason("unknown_sender", "Onbekende afzender; registreer de afzender als opdrachtgever of wijs het bericht af")
            return conversations.triage(session, inbound, [reason], now, extraction=extraction)

        decision = decide(mail, extraction, today=today)
        result = apply_decision(session, inbound, mail, extraction, decision, client=client, now=now, today=today)
        if result.dossier is not None:
            self.replies.dossier_opened(session, inbound.id, mail, result, now=now, received_on=today)
        return result

    def _log_reused_message_id(self, session, inbound: InboundMessage) -> None:  # type: ignore[no-untyped-def]
        """Log a Message-ID seen before on other content; headers never make a duplicate."""
        if not inbound.message_id:
            return
        earlier = session.execute(
            select(InboundMessage.id).where(
                InboundMessage.message_id == inbound.message_id,
                InboundMessage.id != inbound.id,
                InboundMessage.raw_sha256 != inbound.raw_sha256,
            ).limit(1)
        ).scalar_one_or_none()
        if earlier is not None:
            logger.warning("message %s reuses Message-ID of message %s with other content; treated as a new message", inbound.id, earlier)

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
