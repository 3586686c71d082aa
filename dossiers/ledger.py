"""The collection track's own store: debtor profiles, dossier terms, payments, holds,
payment arrangements, staff tasks and the client's court consent.

Staff commands and the phase worker change these rows through the service functions
below; each writes an audit event. `load_facts` turns a dossier's rows into the plain
`phases.facts.DossierFacts` that the phase engine decides on.

Payments carry the date the money arrived. A bank-statement import fits the same table:
it sets `source` to ``"bank"`` and `external_id` to the statement line's id, which is
unique, so importing a statement twice records each payment once.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dossiers.models import Base, Debtor, Dossier, Event, Letter, Money, UtcDateTime
from dossiers.sql import insert_ignoring_conflict
from phases import facts as phase_facts

logger = logging.getLogger(__name__)

HOLD_KINDS = ("dispute", "staff")
TASK_KINDS = ("call", "court_consent", "court_procedure")
CALL_OUTCOMES = ("reached", "promise_to_pay", "dispute", "no_answer", "wrong_number")
CALL_OUTCOME_LABELS = {
    "reached": "bereikt",
    "promise_to_pay": "betaalbelofte",
    "dispute": "betwist",
    "no_answer": "geen gehoor",
    "wrong_number": "verkeerd nummer",
}
TASK_LABELS = {
    "call": "Debiteur bellen (fase 3)",
    "court_consent": "Toestemming opdrachtgever vragen voor een procedure",
    "court_procedure": "Gerechtelijke procedure starten",
}


class LedgerError(ValueError):
    """A staff action cannot be carried out. The message is the Dutch line for staff."""


class DebtorProfileRow(Base):
    """The two independent debtor facts and the e-mail consent, set by staff.

    Without a row the profile follows `debtors.kind` (see `DebtorProfile.for_kind`).
    """

    __tablename__ = "debtor_profiles"

    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"), primary_key=True)
    consumer: Mapped[bool] = mapped_column(Boolean)
    natural_person_nl: Mapped[bool] = mapped_column(Boolean)
    email_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DossierTermsRow(Base):
    """Per-dossier agreements (see `phases.facts.Terms`). Percentages are decimal text."""

    __tablename__ = "dossier_terms"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True)
    contract_rate_percent: Mapped[str | None] = mapped_column(String(12))
    cost_clause_percent: Mapped[str | None] = mapped_column(String(12))
    instalment_claims: Mapped[bool] = mapped_column(Boolean, default=False)
    default_on: Mapped[date | None] = mapped_column(Date)
    claimant_category: Mapped[str] = mapped_column(String(30), default="niet_natuurlijk_persoon")
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20), default="staff")  # "staff" | "bank"
    external_id: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HoldRow(Base):
    """A dispute or a staff hold; it pauses the track from `started_on` to `lifted_on`."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "dispute" | "staff"
    reason: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    started_by: Mapped[str] = mapped_column(String(100))
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ArrangementRow(Base):
    """A payment arrangement. `status` records what the engine last found (active,
    breached, completed) or that staff ended it (ended, with `ended_on`)."""

    __tablename__ = "arrangements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    agreed_on: Mapped[date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InstalmentRow(Base):
    __tablename__ = "arrangement_instalments"
    __table_args__ = (UniqueConstraint("arrangement_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("arrangements.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)


class StaffTaskRow(Base):
    """Work for staff on the track; at most one per dossier, kind and phase."""

    __tablename__ = "staff_tasks"
    __table_args__ = (UniqueConstraint("dossier_id", "kind", "phase"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    phase: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_by: Mapped[str | None] = mapped_column(String(100))


class CourtConsentRow(Base):
    """The client's consent to start a court procedure for the dossier."""

    __tablename__ = "court_consents"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True)
    consented_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _event(session: Session, dossier_id: int | None, kind: str, actor: str, now: datetime, data: dict[str, Any]) -> None:
    session.add(Event(dossier_id=dossier_id, kind=kind, actor=actor, at=now, data=data))


def parse_percent(text: str | None) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise LedgerError(f"'{text}' is geen percentage; gebruik bijvoorbeeld 8 of 12.5.") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise LedgerError(f"Percentage {text} is ongeldig; geef een getal van 0 tot en met 100.")
    return value


# --- debtor profiles and dossier terms ---------------------------------------------


def debtor_profile(session: Session, debtor: Debtor) -> phase_facts.DebtorProfile:
    row = session.get(DebtorProfileRow, debtor.id)
    if row is None:
        return phase_facts.DebtorProfile.for_kind(debtor.kind)
    return phase_facts.DebtorProfile(row.consumer, row.natural_person_nl, row.email_consent)


def set_debtor_profile(
    session: Session,
    debtor: Debtor,
    *,
    consumer: bool | None = None,
    natural_person_nl: bool | None = None,
    email_consent: bool | None = None,
    actor: str,
    now: datetime,
) -> phase_facts.DebtorProfile:
    """Change the given flags of the debtor's profile and keep the others."""
    current = debtor_profile(session, debtor)
    row = session.get(DebtorProfileRow, debtor.id)
    if row is None:
        row = DebtorProfileRow(debtor_id=debtor.id)
        session.add(row)
    row.consumer = current.consumer if consumer is None else consumer
    row.natural_person_nl = current.natural_person_nl if natural_person_nl is None else natural_person_nl
    row.email_consent = current.email_consent if email_consent is None else email_consent
    row.updated_by = actor
    row.updated_at = now
    _event(
        session,
        None,
        "debtor_profile_set",
        actor,
        now,
        {"debtor_id": debtor.id, "consumer": row.consumer, "natural_person_nl": row.natural_person_nl, "email_consent": row.email_consent},
    )
    return phase_facts.DebtorProfile(row.consumer, row.natural_person_nl, row.email_consent)


def dossier_terms(session: Session, dossier: Dossier) -> phase_facts.Terms:
    row = session.get(DossierTermsRow, dossier.id)
    vat = bool(dossier.client.cannot_deduct_vat)
    if row is None:
        return phase_facts.Terms(vat_on_costs=vat)
    return phase_facts.Terms(
        contract_rate_percent=parse_percent(row.contract_rate_percent),
        cost_clause_percent=parse_percent(row.cost_clause_percent),
        instalment_claims=row.instalment_claims,
        default_on=row.default_on,
        claimant_category=row.claimant_category,
        vat_on_costs=vat,
    )


def set_dossier_terms(session: Session, dossier: Dossier, changes: dict[str, Any], *, actor: str, now: datetime) -> phase_facts.Terms:
    """Apply `changes` (keys of `DossierTermsRow`; an empty string clears a percentage)."""
    allowed = {"contract_rate_percent", "cost_clause_percent", "instalment_claims", "default_on", "claimant_category"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown dossier terms: {sorted(unknown)}")
    if "claimant_category" in changes and changes["claimant_category"] not in phase_facts.CLAIMANT_CATEGORIES:
        raise LedgerError(f"Categorie {changes['claimant_category']} is onbekend; kies uit {', '.join(phase_facts.CLAIMANT_CATEGORIES)}.")
    for key in ("contract_rate_percent", "cost_clause_percent"):
        if key in changes:
            parse_percent(changes[key])

    row = session.get(DossierTermsRow, dossier.id)
    if row is None:
        row = DossierTermsRow(dossier_id=dossier.id, instalment_claims=False, claimant_category="niet_natuurlijk_persoon")
        session.add(row)
    for key, value in changes.items():
        setattr(row, key, value if value != "" else None)
    row.updated_by = actor
    row.updated_at = now
    _event(session, dossier.id, "terms_set", actor, now, {key: str(value) for key, value in changes.items()})
    session.flush()
    return dossier_terms(session, dossier)


# --- payments ----------------------------------------------------------------------


def add_payment(
    session: Session,
    dossier: Dossier,
    amount: Decimal,
    received_on: date,
    *,
    actor: str,
    now: datetime,
    today: date,
    reference: str = "",
    source: str = "staff",
    external_id: str | None = None,
) -> PaymentRow:
    """Record a payment that arrived on `received_on`.

    With `external_id`, a second call for the same id returns the first row unchanged.
    """
    if amount <= 0:
        raise LedgerError(f"Bedrag {amount} is ongeldig; een betaling is groter dan nul.")
    if received_on > today:
        raise LedgerError(f"Ontvangstdatum {received_on:%d-%m-%Y} ligt in de toekomst.")
    if dossier.status == "closed":
        raise LedgerError(f"Dossier {dossier.number} is gesloten; heropen het eerst of boek de betaling apart.")

    values = {
        "dossier_id": dossier.id,
        "amount": amount,
        "received_on": received_on,
        "reference": reference[:200],
        "source": source,
        "external_id": external_id,
        "recorded_by": actor,
        "created_at": now,
    }
    if external_id is not None:
        insert_ignoring_conflict(session, PaymentRow, values, ["external_id"])
        row = session.execute(select(PaymentRow).where(PaymentRow.external_id == external_id)).scalar_one()
    else:
        row = PaymentRow(**values)
        session.add(row)
        session.flush()
    _event(session, dossier.id, "payment_recorded", actor, now, {"payment_id": row.id, "amount": f"{amount:.2f}", "received_on": received_on.isoformat()})
    logger.info("dossier %s: payment %s recorded", dossier.id, row.id)
    return row


def payments_of(session: Session, dossier_id: int) -> list[PaymentRow]:
    query = select(PaymentRow).where(PaymentRow.dossier_id == dossier_id).order_by(PaymentRow.received_on, PaymentRow.id)
    return list(session.execute(query).scalars())


# --- holds ---------------------------------------------------------------------------


def add_hold(session: Session, dossier: Dossier, kind: str, reason: str, *, today: date, actor: str, now: datetime) -> HoldRow:
    """Pause the track from `today`; one open hold per kind."""
    if kind not in HOLD_KINDS:
        raise ValueError(f"unknown hold kind {kind!r}")
    if not reason.strip():
        raise LedgerError("Geef een reden op (--reason).")
    if dossier.status == "closed":
        raise LedgerError(f"Dossier {dossier.number} is gesloten.")
    open_same = session.execute(
        select(HoldRow).where(HoldRow.dossier_id == dossier.id, HoldRow.kind == kind, HoldRow.lifted_on.is_(None))
    ).scalar_one_or_none()
    if open_same is not None:
        return open_same
    row = HoldRow(dossier_id=dossier.id, kind=kind, reason=reason.strip(), started_on=today, started_by=actor, created_at=now)
    session.add(row)
    session.flush()
    _event(session, dossier.id, f"{kind}_hold_added", actor, now, {"hold_id": row.id, "reason": row.reason})
    return row


def lift_holds(
    session: Session, dossier: Dossier, reason: str, *, today: date, actor: str, now: datetime, kind: str | None = None
) -> list[HoldRow]:
    """Lift the open holds (of `kind`, or all) from `today` on; return the lifted rows."""
    query = select(HoldRow).where(HoldRow.dossier_id == dossier.id, HoldRow.lifted_on.is_(None))
    if kind is not None:
        query = query.where(HoldRow.kind == kind)
    rows = list(session.execute(query).scalars())
    for row in rows:
        row.lifted_on = max(today, row.started_on)
        row.lifted_by = actor
        row.lift_reason = reason.strip()
        _event(session, dossier.id, f"{row.kind}_hold_lifted", actor, now, {"hold_id": row.id, "reason": row.lift_reason})
    return rows


def holds_of(session: Session, dossier_id: int) -> list[HoldRow]:
    return list(session.execute(select(HoldRow).where(HoldRow.dossier_id == dossier_id).order_by(HoldRow.id)).scalars())


# --- payment arrangements ----------------------------------------------------------------


def add_arrangement(
    session: Session,
    dossier: Dossier,
    instalments: list[tuple[date, Decimal]],
    *,
    agreed_on: date,
    grace_days: int,
    actor: str,
    now: datetime,
) -> ArrangementRow:
    """Record a payment arrangement; an active one must be ended first."""
    if not instalments:
        raise LedgerError("Een betalingsregeling heeft minstens één termijn.")
    if any(amount <= 0 for _, amount in instalments):
        raise LedgerError("Elke termijn moet groter dan nul zijn.")
    if grace_days < 0:
        raise LedgerError("De respijttermijn kan niet negatief zijn.")
    active = session.execute(
        select(ArrangementRow).where(ArrangementRow.dossier_id == dossier.id, ArrangementRow.status == "active")
    ).scalar_one_or_none()
    if active is not None:
        raise LedgerError(f"Dossier {dossier.number} heeft al een lopende betalingsregeling (nr. {active.id}); beëindig die eerst.")

    row = ArrangementRow(dossier_id=dossier.id, agreed_on=agreed_on, grace_days=grace_days, status="active", created_by=actor, created_at=now)
    session.add(row)
    session.flush()
    for number, (due_on, amount) in enumerate(sorted(instalments), start=1):
        session.add(InstalmentRow(arrangement_id=row.id, number=number, due_on=due_on, amount=amount))
    total = sum((amount for _, amount in instalments), Decimal("0.00"))
    _event(session, dossier.id, "arrangement_added", actor, now, {"arrangement_id": row.id, "instalments": len(instalments), "total": f"{total:.2f}"})
    return row


def end_arrangement(session: Session, dossier: Dossier, *, today: date, actor: str, now: datetime) -> ArrangementRow:
    row = session.execute(
        select(ArrangementRow).where(ArrangementRow.dossier_id == dossier.id, ArrangementRow.status == "active")
    ).scalar_one_or_none()
    if row is None:
        raise LedgerError(f"Dossier {dossier.number} heeft geen lopende betalingsregeling.")
    row.status = "ended"
    row.ended_on = today
    _event(session, dossier.id, "arrangement_ended", actor, now, {"arrangement_id": row.id})
    return row


def arrangements_of(session: Session, dossier_id: int) -> list[tuple[ArrangementRow, list[InstalmentRow]]]:
    rows = session.execute(select(ArrangementRow).where(ArrangementRow.dossier_id == dossier_id).order_by(ArrangementRow.id)).scalars()
    result = []
    for row in rows:
        instalments = session.execute(
            select(InstalmentRow).where(InstalmentRow.arrangement_id == row.id).order_by(InstalmentRow.number)
        ).scalars()
        result.append((row, list(instalments)))
    return result


# --- staff tasks and consent -----------------------------------------------------------


def ensure_task(session: Session, dossier: Dossier, kind: str, phase: int, *, now: datetime, note: str = "") -> StaffTaskRow:
    """Create the task once per dossier, kind and phase; return the (new or existing) row."""
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown task kind {kind!r}")
    insert_ignoring_conflict(
        session,
        StaffTaskRow,
        {"dossier_id": dossier.id, "kind": kind, "phase": phase, "status": "open", "note": note or None, "created_at": now},
        ["dossier_id", "kind", "phase"],
    )
    return session.execute(
        select(StaffTaskRow).where(StaffTaskRow.dossier_id == dossier.id, StaffTaskRow.kind == kind, StaffTaskRow.phase == phase)
    ).scalar_one()


def complete_task(
    session: Session, task_id: int, *, outcome: str | None, note: str, today: date, actor: str, now: datetime
) -> StaffTaskRow:
    """Close a task. A call needs an outcome; the outcome ``dispute`` also puts the
    dossier on a dispute hold."""
    task = session.get(StaffTaskRow, task_id)
    if task is None:
        raise LedgerError(f"Taak {task_id} bestaat niet; zie incasso tasks list.")
    if task.status == "done":
        raise LedgerError(f"Taak {task_id} is al afgerond.")
    if task.kind == "call" and outcome not in CALL_OUTCOMES:
        raise LedgerError(f"Geef de uitkomst van het gesprek op met --outcome: {', '.join(CALL_OUTCOMES)}.")
    if task.kind != "call" and outcome is not None:
        raise LedgerError("Alleen een beltaak heeft een uitkomst.")
    task.status = "done"
    task.outcome = outcome
    task.note = note or task.note
    task.done_at = now
    task.done_by = actor
    dossier = session.get(Dossier, task.dossier_id)
    assert dossier is not None
    _event(session, dossier.id, "task_done", actor, now, {"task_id": task.id, "kind": task.kind, "outcome": outcome})
    if outcome == "dispute":
        add_hold(session, dossier, "dispute", note or "Betwist in telefoongesprek", today=today, actor=actor, now=now)
    return task


def record_consent(session: Session, dossier: Dossier, consented_on: date, *, note: str, actor: str, now: datetime) -> CourtConsentRow:
    row = session.get(CourtConsentRow, dossier.id)
    if row is not None:
        return row
    row = CourtConsentRow(dossier_id=dossier.id, consented_on=consented_on, note=note, recorded_by=actor, created_at=now)
    session.add(row)
    session.flush()
    _event(session, dossier.id, "court_consent_recorded", actor, now, {"consented_on": consented_on.isoformat()})
    for task in session.execute(
        select(StaffTaskRow).where(StaffTaskRow.dossier_id == dossier.id, StaffTaskRow.kind == "court_consent", StaffTaskRow.status == "open")
    ).scalars():
        task.status = "done"
        task.done_at = now
        task.done_by = actor
    return row


def close_dossier(session: Session, dossier: Dossier, reason: str, *, actor: str, now: datetime) -> None:
    """Close the dossier, lift its holds and close its open tasks."""
    if dossier.status == "closed":
        return
    dossier.status = "closed"
    for task in session.execute(
        select(StaffTaskRow).where(StaffTaskRow.dossier_id == dossier.id, StaffTaskRow.status == "open")
    ).scalars():
        task.status = "done"
        task.done_at = now
        task.done_by = actor
        task.note = (task.note or "") + " (dossier gesloten)"
    _event(session, dossier.id, "dossier_closed", actor, now, {"reason": reason})
    logger.info("dossier %s closed: %s", dossier.id, reason)


def open_tasks(session: Session) -> list[dict[str, Any]]:
    query = (
        select(StaffTaskRow, Dossier)
        .join(Dossier, Dossier.id == StaffTaskRow.dossier_id)
        .where(StaffTaskRow.status == "open")
        .order_by(StaffTaskRow.created_at, StaffTaskRow.id)
    )
    return [
        {
            "id": task.id,
            "dossier": dossier.number,
            "kind": task.kind,
            "label": TASK_LABELS[task.kind],
            "phase": task.phase,
            "status": task.status,
            "note": task.note,
            "created_at": task.created_at.isoformat(),
        }
        for task, dossier in session.execute(query)
    ]


# --- facts for the phase engine --------------------------------------------------------


def load_facts(session: Session, dossier: Dossier) -> phase_facts.DossierFacts:
    """Map the dossier's rows to the phase engine's plain facts.

    Claims without an amount or a due date are left out; the intake sends such dossiers
    to review before they become active.
    """
    letters = session.execute(select(Letter).where(Letter.dossier_id == dossier.id)).scalars()
    holds = holds_of(session, dossier.id)
    consent = session.get(CourtConsentRow, dossier.id)
    profile = debtor_profile(session, dossier.debtor)
    return phase_facts.DossierFacts(
        dossier_number=dossier.number,
        debtor_kind="consumer" if profile.consumer else "business",
        claims=tuple(
            phase_facts.Claim(
                invoice_number=claim.invoice_number,
                invoice_date=claim.invoice_date or claim.due_date,
                due_date=claim.due_date,
                principal=claim.principal,
            )
            for claim in dossier.claims
            if claim.principal is not None and claim.due_date is not None
        ),
        letters=tuple(
            phase_facts.SentLetter(
                phase=letter.phase,
                channel=letter.channel,  # type: ignore[arg-type]
                sent_on=letter.issued_on,
                kind=letter.kind,
                costs=letter.costs,
            )
            for letter in letters
        ),
        is_open=dossier.status == "active",
        payments=tuple(phase_facts.Payment(row.received_on, row.amount) for row in payments_of(session, dossier.id)),
        pauses=tuple(phase_facts.Pause(row.kind, row.started_on, row.lifted_on) for row in holds),  # type: ignore[arg-type]
        arrangements=tuple(
            phase_facts.Arrangement(
                agreed_on=row.agreed_on,
                instalments=tuple(phase_facts.Instalment(item.due_on, item.amount) for item in instalments),
                grace_days=row.grace_days,
                ended_on=row.ended_on,
            )
            for row, instalments in arrangements_of(session, dossier.id)
        ),
        court_consent_on=consent.consented_on if consent else None,
        terms=dossier_terms(session, dossier),
        profile=profile,
        # `email_unusable_at` marks an address that bounced permanently.
        debtor_has_email=bool(dossier.debtor.email) and getattr(dossier.debtor, "email_unusable_at", None) is None,
    )


# --- read model ----------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def account_detail(session: Session, dossier: Dossier, today: date) -> dict[str, Any]:
    """Return the dossier's computed account on `today` for `dossier_detail`.

    Keys: ``balance_on``, ``interest``, ``costs``, ``paid``, ``balance`` (amounts as
    strings with two decimals), ``payments`` (each with its allocation), ``track``
    (state, phase, deadline and a Dutch description), ``holds``, ``arrangements`` and
    ``tasks``. A closed dossier shows its account on `today` all the same.
    """
    from phases.track import evaluate

    facts = load_facts(session, dossier)
    if facts.claims:
        decision = evaluate(replace_open(facts), today)
        status = decision.status
        balance = decision.account.balance if decision.account else None
    else:
        decision, status, balance = None, None, None

    if dossier.status in ("closed", "review"):
        state = dossier.status
    else:
        state = status.state if status else "review"

    tasks = session.execute(select(StaffTaskRow).where(StaffTaskRow.dossier_id == dossier.id).order_by(StaffTaskRow.id)).scalars()
    detail: dict[str, Any] = {
        "balance_on": today.isoformat(),
        "principal_open": _money(balance.principal_open) if balance else None,
        "interest": _money(balance.interest_accrued) if balance else None,
        "interest_open": _money(balance.interest_open) if balance else None,
        "costs": _money(balance.costs_due) if balance else None,
        "paid": _money(balance.paid) if balance else "0.00",
        "balance": _money(balance.total_open) if balance else None,
        "payments": [
            {
                "received_on": item.received_on.isoformat(),
                "amount": _money(item.amount),
                "to_costs": _money(item.to_costs),
                "to_interest": _money(item.to_interest),
                "to_principal": _money(item.to_principal),
                "overpaid": _money(item.overpaid),
            }
            for item in (balance.allocations if balance else ())
        ],
        "track": {
            "state": state,
            "phase": dossier.phase,
            "deadline": status.deadline.isoformat() if status and status.deadline else None,
            "description": status.description if status else "Geen facturen met bedrag en vervaldatum",
            "paused_by": list(status.paused_by) if status else [],
        },
        "holds": [
            {"kind": row.kind, "reason": row.reason, "started_on": row.started_on.isoformat(), "lifted_on": row.lifted_on.isoformat() if row.lifted_on else None}
            for row in holds_of(session, dossier.id)
        ],
        "arrangements": [
            {
                "agreed_on": row.agreed_on.isoformat(),
                "status": row.status,
                "grace_days": row.grace_days,
                "instalments": [{"due_on": item.due_on.isoformat(), "amount": _money(item.amount)} for item in instalments],
            }
            for row, instalments in arrangements_of(session, dossier.id)
        ],
        "tasks": [
            {"id": task.id, "kind": task.kind, "phase": task.phase, "status": task.status, "outcome": task.outcome, "note": task.note}
            for task in tasks
        ],
    }
    return detail


def replace_open(facts: phase_facts.DossierFacts) -> phase_facts.DossierFacts:
    """Return `facts` as an open dossier, so a closed or reviewed one still shows its account."""
    return dataclasses.replace(facts, is_open=True)
