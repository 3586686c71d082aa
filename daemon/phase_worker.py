"""Phase step: ask the phase engine what each active dossier needs and carry it out.

The engine (`phases.track.next_action`) is a pure function of the dossier's facts.
This worker renders the letter outside any transaction, then writes the letter row, its
PDF and its outbox item, and moves the dossier's phase, in one transaction. The unique
key on (dossier, phase, channel) makes a second letter impossible, even when two
daemon processes render the same letter at once.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from daemon.context import DaemonContext
from daemon.logs import working_on
from daemon.mailbuild import build_mail, message_id_for
from dossiers.blobs import put_blob
from dossiers.models import Dossier, Event, Letter, ReviewItem
from dossiers.outbox import QueuedMail, enqueue
from phases import facts as phase_facts
from phases.calendar import AtwCalendar, default_calendar
from phases.contact_times import next_contact_moment
from phases.letters import AgencyInfo, ClientInfo, DebtorInfo, ingebrekestelling_context
from phases.rates import RateTable
from phases.track import HoldForReview, SendLetter, next_action

logger = logging.getLogger(__name__)

LETTER_TEMPLATES = {"ingebrekestelling": "letters/ingebrekestelling.html.j2"}
LETTER_MAIL_TEMPLATES = {"ingebrekestelling": "letters/ingebrekestelling_mail.txt.j2"}
LETTER_TITLES = {"ingebrekestelling": "Ingebrekestelling"}


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

    def handle(self, dossier_id: int, today: date) -> None:
        with self.context.session() as session:
            dossier = session.get(Dossier, dossier_id)
            assert dossier is not None
            if dossier.debtor.kind not in ("business", "consumer"):
                self._hold(session, dossier, "Onbekend of de debiteur een bedrijf of een consument is")
                session.commit()
                return
            facts = dossier_facts(session, dossier)
            action = next_action(facts, today, calendar=self.calendar)
            if action is None:
                dossier.phase_checked_on = today
                session.commit()
                return
            if isinstance(action, HoldForReview):
                self._hold(session, dossier, action.reason)
                session.commit()
                return
            assert isinstance(action, SendLetter)
            context = self._letter_context(dossier, facts, today)
            kind = action.rule.template
            debtor_email = dossier.debtor.email

        pdf = self.renderer.render_pdf(LETTER_TEMPLATES[kind], context)
        mail_body = self.context.templates.get_template(LETTER_MAIL_TEMPLATES[kind]).render(**context)
        self._issue(dossier_id, action, context, pdf, mail_body, debtor_email)

    def _issue(
        self,
        dossier_id: int,
        action: SendLetter,
        context: dict[str, Any],
        pdf: bytes,
        mail_body: str,
        debtor_email: str | None,
    ) -> None:
        settings = self.context.settings
        kind = action.rule.template
        phase = int(action.phase)
        channel = "email" if debtor_email else "post"
        with self.context.session() as session:
            dossier = session.get(Dossier, dossier_id)
            assert dossier is not None
            if dossier.status != "active" or dossier.phase >= phase:
                session.rollback()
                return
            now = self.context.clock.now()
            digest = put_blob(session, pdf, now)
            totals = context["totals"]
            key = f"letter:dossier:{dossier.id}:phase:{phase}:{channel}"
            filename = f"{LETTER_TITLES[kind]} {dossier.number}.pdf"
            subject = f"{LETTER_TITLES[kind]} dossier {dossier.number}"
            if channel == "email":
                assert debtor_email is not None
                message_id = message_id_for(key, settings.agency.message_id_domain)
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
            session.add(
                Letter(
                    dossier_id=dossier.id,
                    phase=phase,
                    kind=kind,
                    channel=channel,
                    issued_on=context["letter"]["date"],
                    deadline=context["letter"]["term_end"],
                    principal=totals["principal"],
                    interest=totals["interest"],
                    costs=totals["costs"],
                    total=totals["total"],
                    pdf_sha256=digest,
                    outbox_id=item.id,
                    created_at=now,
                )
            )
            dossier.phase = phase
            dossier.phase_deadline = context["letter"]["term_end"]
            dossier.phase_checked_on = context["letter"]["date"]
            session.add(
                Event(
                    dossier_id=dossier.id,
                    kind="letter_issued",
                    at=now,
                    data={"phase": phase, "kind": kind, "channel": channel, "total": f"{totals['total']:.2f}"},
                )
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                logger.info("dossier %s: phase %s letter already issued by another worker", dossier_id, phase)
                return
        logger.info("dossier %s: %s issued by %s, term ends %s", dossier_id, kind, channel, context["letter"]["term_end"])
        for note in context.get("review_notes", []):
            logger.warning("dossier %s letter note: %s", dossier_id, note)

    def _hold(self, session: Any, dossier: Dossier, reason: str) -> None:
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

    def _letter_context(self, dossier: Dossier, facts: phase_facts.DossierFacts, today: date) -> dict[str, Any]:
        agency = self.context.settings.agency
        client = dossier.client
        debtor = dossier.debtor
        return ingebrekestelling_context(
            facts,
            today=today,
            agency=AgencyInfo(
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
            ),
            client=ClientInfo(
                name=client.name,
                street=client.street or "",
                postcode=client.postcode or "",
                city=client.city or "",
                cannot_deduct_vat=client.cannot_deduct_vat,
            ),
            debtor=DebtorInfo(
                name=debtor.name,
                street=debtor.street or "",
                postcode=debtor.postcode or "",
                city=debtor.city or "",
                contact=debtor.contact or "",
                country="" if debtor.country == "NL" else debtor.country,
            ),
            rates=self.rates,
            calendar=self.calendar,
        )


def dossier_facts(session: Any, dossier: Dossier) -> phase_facts.DossierFacts:
    """Map a dossier's rows to the phase engine's plain facts."""
    letters = session.execute(select(Letter).where(Letter.dossier_id == dossier.id)).scalars()
    return phase_facts.DossierFacts(
        dossier_number=dossier.number,
        debtor_kind=dossier.debtor.kind,  # type: ignore[arg-type]
        claims=tuple(
            phase_facts.Claim(
                invoice_number=claim.invoice_number,
                invoice_date=claim.invoice_date or claim.due_date,  # type: ignore[arg-type]
                due_date=claim.due_date,  # type: ignore[arg-type]
                principal=claim.principal,
            )
            for claim in dossier.claims
        ),
        letters=tuple(
            phase_facts.SentLetter(phase=letter.phase, channel=letter.channel, sent_on=letter.issued_on)  # type: ignore[arg-type]
            for letter in letters
        ),
        is_open=dossier.status == "active",
    )
