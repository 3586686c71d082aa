"""Dossiers: search, the dossier page, and staff actions on the collection track.

Every action calls the same `dossiers.ledger` function as the CLI in one transaction
(which writes its audit event with the staff member's e-mail as actor), then applies
the phase engine to the dossier at once, as the CLI does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossiers.ledger import (
    LedgerError,
    add_arrangement,
    add_hold,
    add_payment,
    close_dossier,
    end_arrangement,
    lift_holds,
    record_consent,
    set_debtor_profile,
)
from dossiers.models import Claim, Client, Debtor, Dossier, Letter, OutboxItem
from dossiers.numbers import parse_number
from dossiers.queries import dossier_detail, dossier_summary, find_dossier
from phases.track_config import default_track_config
from web.auth import actor
from web.security import db
from web.views.common import FormError, apply_track, context, form_amount, form_date, form_int

logger = logging.getLogger(__name__)

blueprint = Blueprint("dossiers", __name__)

MAX_RESULTS = 200
STATUS_LABELS = {"active": "Actief", "review": "In controle", "closed": "Gesloten"}
MAX_INSTALMENTS = 60


def search_dossiers(session: Session, text: str, status: str | None = None) -> list[Dossier]:
    """Find dossiers by dossiernummer, client, debtor or invoice number (case-insensitive)."""
    query = select(Dossier).join(Client, Client.id == Dossier.client_id).join(Debtor, Debtor.id == Dossier.debtor_id)
    text = text.strip()
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        conditions = [
            Dossier.number.ilike(pattern, escape="\\"),
            Client.name.ilike(pattern, escape="\\"),
            Client.email.ilike(pattern, escape="\\"),
            Debtor.name.ilike(pattern, escape="\\"),
            Dossier.id.in_(select(Claim.dossier_id).where(Claim.invoice_number.ilike(pattern, escape="\\"))),
        ]
        number = parse_number(text)
        if number is not None:
            conditions.append(Dossier.number == number)
        query = query.where(or_(*conditions))
    if status:
        query = query.where(Dossier.status == status)
    return list(db().execute(query.order_by(Dossier.id.desc()).limit(MAX_RESULTS)).scalars())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@blueprint.route("/dossiers")
def index() -> Any:
    text = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    found = search_dossiers(db(), text, status or None)
    if text and len(found) == 1 and parse_number(text) == found[0].number:
        return redirect(url_for("dossiers.detail", number=found[0].number))
    rows = [dossier_summary(dossier) for dossier in found]
    return render_template("web/dossiers.html", rows=rows, q=text, status=status, status_labels=STATUS_LABELS, limit=MAX_RESULTS)


def _dossier_or_404(number: str) -> Dossier:
    dossier = find_dossier(db(), number[:40])
    if dossier is None:
        abort(404)
    return dossier


@blueprint.route("/dossiers/<number>")
def detail(number: str) -> Any:
    database = db()
    dossier = _dossier_or_404(number)
    today = context().clock.today()
    detail = dossier_detail(database, dossier, today)
    letters = list(database.execute(select(Letter).where(Letter.dossier_id == dossier.id).order_by(Letter.id)).scalars())
    outbox = list(database.execute(select(OutboxItem).where(OutboxItem.dossier_id == dossier.id).order_by(OutboxItem.id)).scalars())
    return render_template(
        "web/dossier.html",
        dossier=dossier,
        detail=detail,
        letters=letters,
        outbox=outbox,
        today=today,
        status_labels=STATUS_LABELS,
        default_grace_days=_default_grace_days(),
        open_holds=[hold for hold in detail["holds"] if not hold["lifted_on"]],
        active_arrangement=any(row["status"] == "active" for row in detail["arrangements"]),
    )


def _default_grace_days() -> int:
    return default_track_config().arrangement_grace_days


def _act(number: str, change: Callable[[Session, Dossier, date, datetime], str]) -> Any:
    """Run `change` in one transaction, report its Dutch line, then apply the track."""
    database = db()
    dossier = _dossier_or_404(number)
    desk = context()
    try:
        message = change(database, dossier, desk.clock.today(), desk.clock.now())
        database.commit()
    except (LedgerError, FormError) as error:
        database.rollback()
        flash(str(error), "error")
        return redirect(url_for("dossiers.detail", number=dossier.number))
    flash(message, "info")
    apply_track(dossier.id)
    return redirect(url_for("dossiers.detail", number=dossier.number))


@blueprint.route("/dossiers/<number>/betaling", methods=["POST"])
def payment(number: str) -> Any:
    form = request.form

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        amount = form_amount(form.get("amount", ""))
        received_on = form_date(form.get("received_on", ""), "Ontvangstdatum", default=today)
        add_payment(session, dossier, amount, received_on, reference=form.get("reference", "")[:200], actor=actor(), now=now, today=today)
        return f"Betaling van {_euro(amount)} op {received_on:%d-%m-%Y} geboekt."

    return _act(number, change)


@blueprint.route("/dossiers/<number>/stilzetten", methods=["POST"])
def hold(number: str) -> Any:
    reason = request.form.get("reason", "")[:500]

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        add_hold(session, dossier, "staff", reason, today=today, actor=actor(), now=now)
        return f"Dossier staat stil vanaf {today:%d-%m-%Y}."

    return _act(number, change)


@blueprint.route("/dossiers/<number>/hervatten", methods=["POST"])
def lift(number: str) -> Any:
    reason = request.form.get("reason", "")[:500]

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        if not reason.strip():
            raise FormError("Geef een reden op voor het hervatten.")
        lifted = lift_holds(session, dossier, reason, today=today, actor=actor(), now=now)
        if not lifted:
            raise FormError("Het dossier staat niet stil.")
        return f"Het traject loopt weer vanaf {today:%d-%m-%Y} ({len(lifted)} stop(s) opgeheven)."

    return _act(number, change)


@blueprint.route("/dossiers/<number>/betwisting", methods=["POST"])
def dispute(number: str) -> Any:
    reason = request.form.get("reason", "")[:500] or "Vordering betwist door de debiteur"

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        add_hold(session, dossier, "dispute", reason, today=today, actor=actor(), now=now)
        return "Betwisting vastgelegd; het traject staat stil tot de betwisting is afgehandeld."

    return _act(number, change)


@blueprint.route("/dossiers/<number>/regeling", methods=["POST"])
def arrangement(number: str) -> Any:
    form = request.form

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        count = form_int(form.get("count", ""), "Aantal termijnen", minimum=1)
        if count > MAX_INSTALMENTS:
            raise FormError(f"Hoogstens {MAX_INSTALMENTS} termijnen.")
        amount = form_amount(form.get("amount", ""), "Termijnbedrag")
        first = form_date(form.get("first", ""), "Eerste vervaldatum")
        grace_text = form.get("grace_days", "")
        grace = form_int(grace_text, "Respijtdagen") if grace_text else _default_grace_days()
        instalments = [(_add_months(first, index), amount) for index in range(count)]
        add_arrangement(session, dossier, instalments, agreed_on=today, grace_days=grace, actor=actor(), now=now)
        return f"Betalingsregeling vastgelegd: {count} termijn(en) van {_euro(amount)}."

    return _act(number, change)


@blueprint.route("/dossiers/<number>/regeling-beeindigen", methods=["POST"])
def arrangement_end(number: str) -> Any:
    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        end_arrangement(session, dossier, today=today, actor=actor(), now=now)
        return "Betalingsregeling beëindigd; het traject loopt weer."

    return _act(number, change)


@blueprint.route("/dossiers/<number>/toestemming", methods=["POST"])
def consent(number: str) -> Any:
    form = request.form

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        consented_on = form_date(form.get("consented_on", ""), "Datum van de toestemming", default=today)
        if consented_on > today:
            raise FormError("De datum van de toestemming ligt in de toekomst.")
        record_consent(session, dossier, consented_on, note=form.get("note", "")[:500], actor=actor(), now=now)
        return "Toestemming van de opdrachtgever voor een procedure vastgelegd."

    return _act(number, change)


@blueprint.route("/dossiers/<number>/debiteur", methods=["POST"])
def debtor(number: str) -> Any:
    kind = request.form.get("kind", "")

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        if kind not in ("business", "consumer"):
            raise FormError("Kies bedrijf of consument.")
        set_debtor_profile(session, dossier.debtor, consumer=kind == "consumer", natural_person_nl=kind == "consumer", actor=actor(), now=now)
        return "Soort debiteur ingesteld op " + ("consument." if kind == "consumer" else "bedrijf.")

    return _act(number, change)


@blueprint.route("/dossiers/<number>/sluiten", methods=["POST"])
def close(number: str) -> Any:
    reason = request.form.get("reason", "").strip()[:500]

    def change(session: Session, dossier: Dossier, today: date, now: datetime) -> str:
        if not reason:
            raise FormError("Geef een reden op voor het sluiten.")
        close_dossier(session, dossier, reason, actor=actor(), now=now)
        return f"Dossier gesloten op {today:%d-%m-%Y}."

    return _act(number, change)


def _euro(amount: Decimal) -> str:
    from phases.money import format_euro

    return format_euro(amount)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    return day + timedelta(days=30 * months)
