"""Phase step: ask the phase engine what each active dossier needs and carry it out.

The engine (`phases.track.evaluate`) is a pure function of the dossier's facts and
today. This worker applies its action:

- a letter is rendered outside any transaction; then, in one transaction, the facts are
  read again and the letter is written only if the engine still requests it with the
  same amounts (a payment or hold that arrived meanwhile stops it). The letter row, its
  PDF, its outbox item, the phase-3 call task and the dossier's new phase go in together.
  The unique key on (dossier, phase, channel) makes a second letter impossible, even
  when two daemon processes render the same letter at once;
- a paid dossier is closed and the client gets an e-mail through the outbox;
- after the phase-3 term the dossier waits on the staff list for the client's consent,
  and with consent moves to phase 4, a task for staff.

`handle` runs for one dossier; staff commands call it after every event, and `run_once`
calls it in the daily sweep for every active dossier not yet checked today.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from daemon.context import DaemonContext
from daemon.logs import working_on
from daemon.mailbuild import build_mail
from dossiers.blobs import put_blob
from dossiers.ledger import (
    ArrangementRow,
    DebtorProfileRow,
    close_dossier,
    ensure_task,
    load_facts,
)
from dossiers.models import Dossier, Event, Letter, ReviewItem
from dossiers.outbox import QueuedMail, enqueue
from phases.account import arrangement_state
from phases.calendar import AtwCalendar, default_calendar
from phases.contact_times import next_contact_moment
from phases.facts import DossierFacts
from phases.letters import AgencyInfo, ClientInfo, DebtorInfo, letter_context
from phases.rates import RateTable
from phases.rules import Phase, template_name
from phases.track import ClosePaid, Decision, HoldForReview, SendLetter, StartCourt, WaitForConsent, evaluate
from phases.track_config import TrackConfig, default_track_config

logger = logging.getLogger(__name__)

LETTER_MAIL_TEMPLATE = "letters/letter_mail.txt.j2"
CLIENT_PAID_TEMPLATE = "letters/client_paid_mail.txt.j2"
KNOWN_DEBTOR_KINDS = ("business", "consumer")
MAX_ISSUE_ATTEMPTS = 2
CALL_NOTE_NATURAL_PERSON = "Bellen alleen van 07:00 tot 20:00 uur, niet op zondag of een feestdag (Bki art. 4.2)."


class PhaseWorker:
    name = "phases"

    def __init__(self, context: DaemonContext) -> None:
        self.context = context

    @cached_property
    def renderer(self) -> Any:
        # WeasyPrint takes about a second to import; load it only when a letter is due.
        from daemon.render import LetterRenderer

        return LetterRenderer(self.context.templates_dir)

    @cached_property
    def rates(self) -> RateTable:
        return RateTable.load()

    @cached_property
    def calendar(self) -> AtwCalendar:
        return default_calendar()

    @cached_property
    def config(self) -> TrackConfig:
        return default_track_config()

    def run_once(self) -> int:
        """Handle one active dossier that was not checked today; return 1 if one was."""
        today = self.context.clock.today()
        with self.context.session() as session:
            query = (
                select(Dossier.id)
                .where(
                    Dossier.status == "active",
                    or_(Dossier.phase_checked_on.is_(None), Dossier.phase_checked_on < today),
                )
                .order_by(Dossier.id)
                .limit(1)
            )
            dossier_id = session.execute(query).scalar_one_or_none()
        if dossier_id is None:
            return 0
        with working_on(f"dossier:{dossier_id}"):
            self.handle(dossier_id, today)
        return 1

    def handle(self, dossier_id: int, today: date) -> str:
        """Apply the engine's decision for one dossier; return what was done.

        The result is one of ``closed_dossier``, ``nothing``, ``review``, ``paid``,
        ``waiting_consent``, ``court``, ``letter`` or ``letter_not_issued``.
        """
        for _ in range(MAX_ISSUE_ATTEMPTS):
            outcome = self._handle_once(dossier_id, today)
            if outcome != "retry":
                return outcome
        logger.warning("dossier %s changed while its letter was rendered twice; next sweep retries", dossier_id)
        return "letter_not_issued"

    def _handle_once(self, dossier_id: int, today: date) -> str:
        with self.context.session() as session:
            dossier = session.get(Dossier, dossier_id)
            if dossier is None or dossier.status != "active":
                return "closed_dossier"
            if dossier.debtor.kind not in KNOWN_DEBTOR_KINDS and session.get(DebtorProfileRow, dossier.debtor_id) is None:
                self._hold(session, dossier, "Onbekend of de debiteur een bedrijf of een consument is; stel dit in met 'incasso debiteur'.")
                session.commit()
                return "review"

            facts = load_facts(session, dossier)
            self._record_arrangement_states(session, dossier, facts, today)
            decision = evaluate(facts, today, rates=self.rates, calendar=self.calendar, config=self.config)
            action = decision.action

            if action is None or isinstance(action, (WaitForConsent, StartCourt)):
                self._apply_without_letter(session, dossier, decision, today)
                session.commit()
                if isinstance(action, WaitForConsent):
                    return "waiting_consent"
                return "court" if isinstance(action, StartCourt) else "nothing"
            if isinstance(action, HoldForReview):
                self._hold(session, dossier, action.reason)
                session.commit()
                return "review"
            if isinstance(action, ClosePaid):
                self._close_paid(session, dossier, decision)
                session.commit()
                return "paid"

            assert isinstance(action, SendLetter)
            context = self._letter_context(dossier, facts, action, today)
            template = template_name(action.rule, facts.is_consumer)
            # A debtor address that bounced permanently is not used again; the letter goes by post.
            debtor_email = dossier.debtor.email if dossier.debtor.email_unusable_at is None else None

        pdf = self.renderer.render_pdf(template, context)
        mail_body = self.context.templates.get_template(LETTER_MAIL_TEMPLATE).render(**context)
        return self._issue(dossier_id, action, context, pdf, mail_body, debtor_email, today)

    def _apply_without_letter(self, session: Session, dossier: Dossier, decision: Decision, today: date) -> None:
        action = decision.action
        now = self.context.clock.now()
        if isinstance(action, WaitForConsent):
            task = ensure_task(session, dossier, "court_consent", int(Phase.AANKONDIGING_DAGVAARDING), now=now)
            if task.created_at == now:
                session.add(Event(dossier_id=dossier.id, kind="waiting_for_consent", at=now, data={"task_id": task.id}))
        elif isinstance(action, StartCourt):
            ensure_task(session, dossier, "court_procedure", int(Phase.GERECHTELIJKE_PROCEDURE), now=now)
            if dossier.phase < Phase.GERECHTELIJKE_PROCEDURE:
                dossier.phase = int(Phase.GERECHTELIJKE_PROCEDURE)
                session.add(Event(dossier_id=dossier.id, kind="phase_court", at=now, data={"phase": dossier.phase}))
        if decision.status.deadline is not None:
            dossier.phase_deadline = decision.status.deadline
        dossier.phase_checked_on = today

    def _record_arrangement_states(self, session: Session, dossier: Dossier, facts: DossierFacts, today: date) -> None:
        """Write a breach or completion the engine finds onto the arrangement row."""
        rows = session.execute(
            select(ArrangementRow).where(ArrangementRow.dossier_id == dossier.id, ArrangementRow.status == "active")
        ).scalars()
        for row in rows:
            arrangement = next((item for item in facts.arrangements if item.agreed_on == row.agreed_on and item.ended_on is None), None)
            if arrangement is None:
                continue
            state = arrangement_state(arrangement, facts.payments, today)
            if state.state in ("breached", "completed"):
                row.status = state.state
                session.add(
                    Event(
                        dossier_id=dossier.id,
                        kind=f"arrangement_{state.state}",
                        at=self.context.clock.now(),
                        data={"arrangement_id": row.id, "resumes_on": state.resumes_on.isoformat() if state.resumes_on else None, "instalment": state.missed_instalment},
                    )
                )
                logger.info("dossier %s: arrangement %s %s", dossier.id, row.id, state.state)

    def _issue(
        self,
        dossier_id: int,
        action: SendLetter,
        context: dict[str, Any],
        pdf: bytes,
        mail_body: str,
        debtor_email: str | None,
        today: date,
    ) -> str:
        settings = self.context.settings
        rule = action.rule
        phase = int(action.phase)
        channel = action.channel
        with self.context.session() as session:
            dossier = session.execute(select(Dossier).where(Dossier.id == dossier_id).with_for_update()).scalar_one_or_none()
            if dossier is None or dossier.status != "active":
                session.rollback()
                return "closed_dossier"

            # Re-check in this transaction: a payment, hold or letter that arrived while
            # the PDF was rendered must stop or change the letter.
            facts = load_facts(session, dossier)
            fresh = evaluate(facts, today, rates=self.rates, calendar=self.calendar, config=self.config).action
            if fresh != action or self._letter_context(dossier, facts, action, today)["totals"] != context["totals"]:
                session.rollback()
                return "retry"

            now = self.context.clock.now()
            digest = put_blob(session, pdf, now)
            totals = context["totals"]
            key = f"letter:dossier:{dossier.id}:phase:{phase}:{channel}"
            filename = f"{rule.title} {dossier.number}.pdf"
            subject = f"{rule.title} dossier {dossier.number}"
            if channel == "email":
                assert debtor_email is not None
                message_id = self.context.signer.make(key)
                raw = build_mail(
                    sender_name=settings.agency.name,
                    sender_address=settings.agency.from_address,
                    to=debtor_email,
                    subject=subject,
                    body=mail_body,
                    message_id=message_id,
                    moment=now,
                    auto_submitted="auto-generated",
                    attachments=((filename, "application/pdf", pdf),),
                )
                queued = QueuedMail(key, "email", "letter", dossier.id, (debtor_email,), subject, message_id, raw, digest)
            else:
                queued = QueuedMail(key, "post", "letter", dossier.id, (), filename, None, None, digest)
            item = enqueue(session, queued, now)
            if channel == "email":
                item.next_attempt_at = next_contact_moment(now, self.calendar)

            announced = context["bik"]["announced"]
            session.add(
                Letter(
                    dossier_id=dossier.id,
                    phase=phase,
                    kind=rule.template,
                    channel=channel,
                    issued_on=context["letter"]["date"],
                    deadline=context["letter"]["term_end"],
                    principal=totals["principal_open"],
                    interest=totals["interest_open"],
                    # A 14-dagenbrief charges no costs yet; it stores the costs it announced.
                    costs=announced["total"] if announced else totals["costs"],
                    total=totals["total"],
                    pdf_sha256=digest,
                    outbox_id=item.id,
                    created_at=now,
                )
            )
            if phase == Phase.AANKONDIGING_DAGVAARDING:
                note = CALL_NOTE_NATURAL_PERSON if facts.debtor.natural_person_nl else ""
                ensure_task(session, dossier, "call", phase, now=now, note=note)
            dossier.phase = phase
            dossier.phase_deadline = context["letter"]["term_end"]
            dossier.phase_checked_on = today
            session.add(
                Event(
                    dossier_id=dossier.id,
                    kind="letter_issued",
                    at=now,
                    data={"phase": phase, "kind": rule.template, "channel": channel, "total": f"{totals['total']:.2f}"},
                )
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                logger.info("dossier %s: phase %s letter already issued by another worker", dossier_id, phase)
                return "letter_not_issued"
        logger.info("dossier %s: %s issued by %s, term ends %s", dossier_id, rule.template, channel, context["letter"]["term_end"])
        for note in context.get("review_notes", []):
            logger.warning("dossier %s letter note: %s", dossier_id, note)
        return "letter"

    def _close_paid(self, session: Session, dossier: Dossier, decision: Decision) -> None:
        """Close a paid dossier and queue the e-mail that informs the client."""
        now = self.context.clock.now()
        settings = self.context.settings
        balance = decision.account.balance if decision.account else None
        close_dossier(session, dossier, "paid", actor="daemon", now=now)
        key = f"client:paid:dossier:{dossier.id}"
        subject = f"Dossier {dossier.number} is volledig betaald"
        body = self.context.templates.get_template(CLIENT_PAID_TEMPLATE).render(
            dossier_number=dossier.number,
            client_name=dossier.client.name,
            debtor_name=dossier.debtor.name,
            balance=balance,
            agency=settings.agency,
        )
        message_id = self.context.signer.make(key)
        raw = build_mail(
            sender_name=settings.agency.name,
            sender_address=settings.agency.from_address,
            to=dossier.client.email,
            subject=subject,
            body=body,
            message_id=message_id,
            moment=now,
            auto_submitted="auto-generated",
        )
        enqueue(session, QueuedMail(key, "email", "client_paid", dossier.id, (dossier.client.email,), subject, message_id, raw), now)
        logger.info("dossier %s paid in full; client mail queued", dossier.id)

    def _hold(self, session: Session, dossier: Dossier, reason: str) -> None:
        dossier.status = "review"
        now = self.context.clock.now()
        open_item = session.execute(
            select(ReviewItem.id).where(ReviewItem.dossier_id == dossier.id, ReviewItem.status == "open")
        ).first()
        if open_item is None:
            session.add(
                ReviewItem(
                    dossier_id=dossier.id,
                    status="open",
                    reasons=[{"code": "phase_hold", "message": reason, "field": "", "source": ""}],
                    extraction=None,
                    created_at=now,
                )
            )
        session.add(Event(dossier_id=dossier.id, kind="phase_hold", at=now, data={"reason": reason}))
        logger.info("dossier %s held for review by the phase engine", dossier.id)

    def _letter_context(self, dossier: Dossier, facts: DossierFacts, action: SendLetter, today: date) -> dict[str, Any]:
        return letter_context(
            facts,
            action.rule,
            today=today,
            channel=action.channel,
            agency=agency_info(self.context),
            client=ClientInfo(
                name=dossier.client.name,
                street=dossier.client.street or "",
                postcode=dossier.client.postcode or "",
                city=dossier.client.city or "",
                cannot_deduct_vat=dossier.client.cannot_deduct_vat,
            ),
            debtor=DebtorInfo(
                name=dossier.debtor.name,
                street=dossier.debtor.street or "",
                postcode=dossier.debtor.postcode or "",
                city=dossier.debtor.city or "",
                contact=dossier.debtor.contact or "",
                country="" if dossier.debtor.country == "NL" else dossier.debtor.country,
            ),
            rates=self.rates,
            calendar=self.calendar,
            config=self.config,
        )


def agency_info(context: DaemonContext) -> AgencyInfo:
    agency = context.settings.agency
    return AgencyInfo(
        name=agency.name,
        street=agency.street,
        postcode=agency.postcode,
        city=agency.city,
        phone=agency.phone,
        email=agency.from_address,
        iban=agency.iban,
        kvk=agency.kvk,
        wki_registration=agency.wki_registration,
        website=agency.website,
    )


def dossier_facts(session: Session, dossier: Dossier) -> DossierFacts:
    """Map a dossier's rows to the phase engine's facts (see `dossiers.ledger.load_facts`)."""
    return load_facts(session, dossier)
