"""Tasks: the phase 3 call list with the debtor's phone number, and dossiers waiting for consent.

The debtor's phone number is not a column of the debtor. It is read from a review item's
stored extraction, or else by extracting the dossier's source message again (cached
per message).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossiers.blobs import get_blob
from dossiers.ledger import CALL_OUTCOME_LABELS, TASK_LABELS, LedgerError, StaffTaskRow, complete_task
from dossiers.models import Dossier, InboundMessage, ReviewItem
from web.auth import actor
from web.security import db
from web.views.common import apply_track, context

logger = logging.getLogger(__name__)

blueprint = Blueprint("tasks", __name__)


def debtor_phone(session: Session, dossier: Dossier) -> str:
    """Return the debtor's phone number as read from the claim, or "" when none was found."""
    query = (
        select(ReviewItem.extraction)
        .where(or_(ReviewItem.dossier_id == dossier.id, ReviewItem.inbound_id == dossier.source_message_id))
        .order_by(ReviewItem.id.desc())
    )
    for extraction in session.execute(query).scalars():
        phone = ((extraction or {}).get("debtor") or {}).get("phone") or {}
        if isinstance(phone, dict) and phone.get("value"):
            return str(phone["value"])
    if dossier.source_message_id is None:
        return ""
    inbound = session.get(InboundMessage, dossier.source_message_id)
    if inbound is None:
        return ""
    return _phone_from_message(inbound.raw_sha256, get_blob(session, inbound.raw_sha256), dossier.opened_on)


@lru_cache(maxsize=256)
def _phone_from_message(sha256: str, raw: bytes, opened_on: Any) -> str:
    from parsers.extract import extract_claim
    from parsers.mail import parse_message

    extraction = extract_claim(parse_message(raw), today=opened_on, ocr=False)
    return str(extraction.debtor.phone.value or "")


@blueprint.route("/taken")
def index() -> Any:
    database = db()
    query = (
        select(StaffTaskRow, Dossier)
        .join(Dossier, Dossier.id == StaffTaskRow.dossier_id)
        .where(StaffTaskRow.status == "open")
        .order_by(Dossier.phase_deadline, StaffTaskRow.created_at, StaffTaskRow.id)
    )
    calls, consents, others = [], [], []
    for task, dossier in database.execute(query):
        row = {"task": task, "dossier": dossier, "label": TASK_LABELS.get(task.kind, task.kind), "due": dossier.phase_deadline}
        if task.kind == "call":
            row["phone"] = debtor_phone(database, dossier)
            calls.append(row)
        elif task.kind == "court_consent":
            consents.append(row)
        else:
            others.append(row)
    return render_template(
        "web/tasks.html", calls=calls, consents=consents, others=others, outcomes=CALL_OUTCOME_LABELS, today=context().clock.today()
    )


@blueprint.route("/taken/<int:task_id>/afronden", methods=["POST"])
def complete(task_id: int) -> Any:
    database = db()
    desk = context()
    outcome = request.form.get("outcome") or None
    if outcome is not None and outcome not in CALL_OUTCOME_LABELS:
        flash("Kies een uitkomst uit de lijst.", "error")
        return redirect(url_for("tasks.index"))
    try:
        task = complete_task(
            database, task_id, outcome=outcome, note=request.form.get("note", "")[:1000], today=desk.clock.today(), actor=actor(), now=desk.clock.now()
        )
        dossier_id = task.dossier_id
        database.commit()
    except LedgerError as error:
        database.rollback()
        flash(str(error), "error")
        return redirect(url_for("tasks.index"))
    flash(f"Taak {task_id} afgerond.", "info")
    apply_track(dossier_id)
    return redirect(url_for("tasks.index"))
