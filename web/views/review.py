"""The review queue and triage: what the daemon could not decide, and staff's decisions.

Each item shows its reasons, the extracted fields with their confidence and the place
they were read from (a box on the rendered invoice page, or a line of the mail text),
and the original mail. Corrections, approval, rejection, attaching to a dossier and
registering the sender as a client all go through `dossiers.review_actions` and
`dossiers.clients`, the same code as the CLI.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from dossiers.clients import ClientError, register_client
from dossiers.models import Dossier, InboundMessage, ReviewItem
from dossiers.queries import review_summary
from dossiers.review_actions import INVOICE_LABELS, FieldRow, ReviewActionError, approve, attach, correct_field, field_rows, reject
from web.auth import actor
from web.messages import load_message
from web.pdf_pages import PdfRenderError, body_line, page_sizes, parse_box
from web.replies import queue_opening_reply
from web.security import db
from web.views.common import apply_track, confidence_class, context

logger = logging.getLogger(__name__)

blueprint = Blueprint("review", __name__)

KIND_LABELS = {"intake": "Nieuwe opdracht", "triage": "Triage", "followup": "Aanvulling", "task": "Reactie / taak"}
QUEUE_KINDS = ("intake", "followup", "task")
DEBTOR_KINDS = {"business": "Bedrijf", "consumer": "Consument"}


def _items(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    database = db()
    query = (
        select(ReviewItem)
        .where(ReviewItem.status == "open", ReviewItem.kind.in_(kinds))
        .order_by(ReviewItem.created_at, ReviewItem.id)
    )
    rows = []
    now = context().clock.now()
    for item in database.execute(query).scalars():
        summary = review_summary(database, item)
        summary["age_hours"] = int((now - item.created_at).total_seconds() // 3600)
        summary["kind_label"] = KIND_LABELS.get(item.kind, item.kind)
        rows.append(summary)
    return rows


@blueprint.route("/controle")
def queue() -> Any:
    return render_template("web/review_list.html", items=_items(QUEUE_KINDS), title="Controlelijst", triage=False)


@blueprint.route("/triage")
def triage() -> Any:
    return render_template("web/review_list.html", items=_items(("triage",)), title="Triage van berichten", triage=True)


def _item_or_404(item_id: int) -> ReviewItem:
    item = db().get(ReviewItem, item_id)
    if item is None:
        abort(404)
    return item


@blueprint.route("/controle/<int:item_id>")
def item(item_id: int) -> Any:
    database = db()
    review_item = _item_or_404(item_id)
    summary = review_summary(database, review_item)
    inbound = database.get(InboundMessage, review_item.inbound_id) if review_item.inbound_id else None
    message = load_message(database, inbound) if inbound is not None else None

    rows = []
    boxes: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for number, row in enumerate(editable_rows(review_item)):
        box = parse_box(row.source)
        line = body_line(row.source)
        entry = {
            "row": row,
            "anchor": f"field-{number}",
            "level": confidence_class(row.confidence, bool(row.value)),
            "box": box,
            "line": line,
        }
        rows.append(entry)
        if box is not None:
            boxes.setdefault((box.attachment_index, box.page), []).append(entry)

    pages = _pages(message, boxes) if message is not None else []
    dossier = database.get(Dossier, review_item.dossier_id) if review_item.dossier_id else None
    suggested = database.get(Dossier, review_item.suggested_dossier_id) if review_item.suggested_dossier_id else None
    highlighted_lines = {entry["line"] for entry in rows if entry["line"]}
    client_name = next((entry["row"].value for entry in rows if entry["row"].path == "client.name"), "")
    debtor_kind = next((entry["row"].value for entry in rows if entry["row"].path == "debtor.kind"), "")
    unknown_sender = any(reason.get("code") == "unknown_sender" for reason in review_item.reasons)
    return render_template(
        "web/review_item.html",
        item=review_item,
        summary=summary,
        kind_label=KIND_LABELS.get(review_item.kind, review_item.kind),
        message=message,
        rows=rows,
        pages=pages,
        dossier=dossier,
        suggested=suggested,
        highlighted_lines=highlighted_lines,
        client_name=client_name,
        debtor_kind=debtor_kind,
        debtor_kinds=DEBTOR_KINDS,
        unknown_sender=unknown_sender,
    )


def editable_rows(review_item: ReviewItem) -> list[FieldRow]:
    """Return the item's field rows, plus empty rows for a first invoice when it has none."""
    rows = field_rows(review_item)
    if not any(row.path.startswith("invoices[") for row in rows):
        rows += [
            FieldRow(f"invoices[0].{name}", f"Factuur 1: {label}", "", 0.0, "", "", False)
            for name, label in INVOICE_LABELS.items()
        ]
    return rows


def _pages(message: Any, boxes: dict[tuple[int, int], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Return the first five pages of each PDF attachment, each with its field boxes."""
    pages = []
    for attachment in message.pdf_attachments():
        try:
            sizes = page_sizes(attachment.payload)
        except PdfRenderError:
            logger.info("attachment %s of message %s cannot be rendered", attachment.index, message.inbound.id)
            continue
        for number, (width, height) in enumerate(sizes[:5], start=1):
            pages.append(
                {
                    "attachment": attachment,
                    "page": number,
                    "width": round(width, 1),
                    "height": round(height, 1),
                    "boxes": boxes.get((attachment.index, number), []),
                }
            )
    return pages


def _done(item_id: int, message: str) -> Any:
    flash(message, "info")
    return redirect(url_for("review.item", item_id=item_id))


def _failed(item_id: int, error: Exception) -> Any:
    db().rollback()
    flash(str(error), "error")
    return redirect(url_for("review.item", item_id=item_id))


@blueprint.route("/controle/<int:item_id>/veld", methods=["POST"])
def correct(item_id: int) -> Any:
    review_item = _item_or_404(item_id)
    path = request.form.get("path", "")[:100]
    value = request.form.get("value", "")[:500]
    if path not in {row.path for row in editable_rows(review_item)}:
        return _failed(item_id, ReviewActionError(f"Veld {path!r} hoort niet bij deze controle."))
    try:
        correct_field(db(), item_id, path, value, actor=actor(), now=context().clock.now())
    except (ReviewActionError, ValueError) as error:
        return _failed(item_id, error)
    db().commit()
    return _done(item_id, f"Veld {path} verbeterd.")


@blueprint.route("/controle/<int:item_id>/goedkeuren", methods=["POST"])
def approve_item(item_id: int) -> Any:
    _item_or_404(item_id)
    desk = context()
    database = db()
    now, today = desk.clock.now(), desk.clock.today()
    kind = request.form.get("debtor_kind") or None
    if kind is not None and kind not in DEBTOR_KINDS:
        return _failed(item_id, ReviewActionError("Kies bedrijf of consument als soort debiteur."))
    try:
        approval = approve(database, item_id, actor=actor(), now=now, today=today, debtor_kind=kind)
        replied = queue_opening_reply(desk, database, approval, now=now, today=today)
    except (ReviewActionError, ValueError) as error:
        return _failed(item_id, error)
    dossier_id, number = approval.dossier.id, approval.dossier.number
    database.commit()
    flash(f"Goedgekeurd: dossier {number} is {'geopend' if approval.newly_opened else 'bijgewerkt'}.", "info")
    if replied:
        flash("De opdrachtgever krijgt het dossiernummer per e-mail (staat in de outbox).", "info")
    apply_track(dossier_id)
    return redirect(url_for("dossiers.detail", number=number))


@blueprint.route("/controle/<int:item_id>/afwijzen", methods=["POST"])
def reject_item(item_id: int) -> Any:
    _item_or_404(item_id)
    try:
        reject(db(), item_id, request.form.get("reason", "")[:500], actor=actor(), now=context().clock.now())
    except ReviewActionError as error:
        return _failed(item_id, error)
    db().commit()
    flash(f"Controle {item_id} afgewezen.", "info")
    return redirect(url_for("review.queue"))


@blueprint.route("/controle/<int:item_id>/koppelen", methods=["POST"])
def attach_item(item_id: int) -> Any:
    _item_or_404(item_id)
    try:
        dossier = attach(db(), item_id, request.form.get("number", "")[:40], actor=actor(), now=context().clock.now())
    except ReviewActionError as error:
        return _failed(item_id, error)
    number = dossier.number
    db().commit()
    flash(f"Bericht gekoppeld aan dossier {number}.", "info")
    return redirect(url_for("dossiers.detail", number=number))


@blueprint.route("/controle/<int:item_id>/opdrachtgever", methods=["POST"])
def register_sender(item_id: int) -> Any:
    review_item = _item_or_404(item_id)
    database = db()
    inbound = database.get(InboundMessage, review_item.inbound_id) if review_item.inbound_id else None
    if inbound is None or not inbound.from_address:
        return _failed(item_id, ClientError("Bij deze controle hoort geen afzender."))
    name = request.form.get("name", "").strip()[:300]
    if not name:
        return _failed(item_id, ClientError("Vul de naam van de opdrachtgever in."))
    try:
        registration = register_client(
            database,
            inbound.from_address,
            name=name,
            kvk=request.form.get("kvk", "").strip()[:20] or None,
            domain=request.form.get("domain", "").strip()[:255] or None,
            now=context().clock.now(),
            by=actor(),
        )
    except ClientError as error:
        return _failed(item_id, error)
    client_name, released = registration.client.name, registration.released
    database.commit()
    flash(f"Opdrachtgever {client_name} geregistreerd.", "info")
    if released:
        flash(f"{released} bericht(en) van deze afzender gaan opnieuw door de intake.", "info")
        return redirect(url_for("review.triage"))
    return redirect(url_for("review.item", item_id=item_id))
