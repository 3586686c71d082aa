"""Routes of the client portal under /portaal.

Every route that takes a dossiernummer, document id or letter id loads it through
`web.portal.access`, which answers 404 for anything outside the user's own client and
records the attempt. Listing and export query by the user's client id only.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from dossiers.blobs import get_blob
from dossiers.ledger import LedgerError, account_detail
from dossiers.models import Client, Document, Dossier, InboundMessage
from web.portal import access
from web.portal.actions import (
    DOCUMENT_KINDS,
    MAX_UPLOAD_BYTES,
    PortalActionError,
    Upload,
    give_court_consent,
    report_direct_payment,
    upload_document,
    withdraw_claim,
)
from web.portal.claims import MAX_INVOICES, DebtorInput, InvoiceInput, submit_claim
from web.portal.listing import STATUS_LABELS, client_rows, portal_row, rows_csv
from web.portal.tariffs import dossier_costs, load_tariffs
from web.portal.timeline import build_timeline, letter_title
from web import totp_pages
from web.security import db
from web.views.common import FormError, context, form_amount, form_date
from web.views.files import _send

logger = logging.getLogger(__name__)

blueprint = Blueprint("portal", __name__, url_prefix="/portaal", static_folder="static", static_url_path="/static")

# A form with five invoice PDFs of MAX_UPLOAD_BYTES each, plus the text fields.
MAX_REQUEST_BYTES = MAX_INVOICES * MAX_UPLOAD_BYTES + 512 * 1024
PHASE_FILTERS = {"0": "Nog niet gestart", "1": "Fase 1", "2": "Fase 2", "3": "Fase 3", "4": "Gerechtelijke fase"}


@blueprint.before_request
def _allow_uploads() -> None:
    # The desk keeps its 2 MB request limit; only portal forms carry invoice PDFs.
    request.max_content_length = MAX_REQUEST_BYTES


@blueprint.errorhandler(404)
def _not_found(error: Exception) -> Any:
    return render_template("web/portal/error.html", code=404, message="Deze pagina of dit bestand bestaat niet."), 404


@blueprint.errorhandler(413)
def _too_large(error: Exception) -> Any:
    return render_template("web/portal/error.html", code=413, message="Het verzonden bestand of formulier is te groot."), 413


def _client() -> Client:
    user = access.portal_user()
    client = db().get(Client, user.client_id)
    if client is None:
        abort(403)
    return client


def _filters() -> tuple[str, str, str]:
    text = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    phase = request.args.get("fase", "")
    return text, status if status in STATUS_LABELS else "", phase if phase in PHASE_FILTERS else ""


@blueprint.route("/")
def index() -> Any:
    client = _client()
    text, status, phase = _filters()
    rows = client_rows(db(), client.id, context().clock.today(), text=text, status=status, phase=phase)
    submitted = db().execute(
        select(InboundMessage)
        .where(InboundMessage.source_key.like("portal#%"), InboundMessage.from_address == client.email)
        .order_by(InboundMessage.id.desc())
        .limit(20)
    ).scalars()
    numbers = {row.id: row.number for row in db().execute(select(Dossier).where(Dossier.client_id == client.id)).scalars()}
    return render_template(
        "web/portal/dossiers.html",
        client=client,
        rows=rows,
        q=text,
        status=status,
        phase=phase,
        status_labels=STATUS_LABELS,
        phase_filters=PHASE_FILTERS,
        submitted=[(message, numbers.get(message.dossier_id or 0)) for message in submitted],
    )


@blueprint.route("/export.csv")
def export() -> Any:
    client = _client()
    text, status, phase = _filters()
    rows = client_rows(db(), client.id, context().clock.today(), text=text, status=status, phase=phase)
    access.audit("portal_export", None, {"client_id": client.id, "rows": len(rows)})
    db().commit()
    # A byte order mark, so spreadsheet programs read the file as UTF-8.
    body = "\ufeff" + rows_csv(rows)
    filename = f"dossiers-{context().clock.today():%Y-%m-%d}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.route("/dossiers/<number>")
def dossier(number: str) -> Any:
    database = db()
    found = access.owned_dossier(number)
    client = _client()
    today = context().clock.today()
    account = account_detail(database, found, today)
    row = portal_row(database, found, today)
    plan = load_tariffs().plan_for(client)
    documents = list(database.execute(select(Document).where(Document.dossier_id == found.id).order_by(Document.id)).scalars())
    access.audit("portal_dossier_viewed", found, {})
    database.commit()
    return render_template(
        "web/portal/dossier.html",
        dossier=found,
        row=row,
        account=account,
        costs=dossier_costs(plan, row.collected, found.phase),
        timeline=build_timeline(database, found, account["track"]),
        documents=documents,
        document_kinds=DOCUMENT_KINDS,
        today=today,
        has_consent=_has_consent(found),
        max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


def _has_consent(found: Dossier) -> bool:
    from dossiers.ledger import CourtConsentRow

    return db().get(CourtConsentRow, found.id) is not None


@blueprint.route("/documenten/<int:document_id>")
def document(document_id: int) -> Any:
    row, owner = access.owned_document(document_id)
    access.audit("portal_document_downloaded", owner, {"document_id": row.id})
    db().commit()
    return _send(get_blob(db(), row.sha256), row.content_type, row.filename)


@blueprint.route("/brieven/<int:letter_id>.pdf")
def letter(letter_id: int) -> Any:
    row, owner = access.owned_letter(letter_id)
    access.audit("portal_letter_downloaded", owner, {"letter_id": row.id})
    db().commit()
    return _send(get_blob(db(), row.pdf_sha256), "application/pdf", f"{owner.number}-{letter_title(row.kind)}.pdf")


def _file(field: FileStorage | None) -> Upload | None:
    if field is None or not field.filename:
        return None
    return Upload(field.filename, field.read(MAX_UPLOAD_BYTES + 1))


def _act(number: str, step: Any, done: str) -> Any:
    """Run one client step on an owned dossier in one transaction and show the result."""
    database = db()
    found = access.owned_dossier(number)
    desk = context()
    try:
        step(database, found, desk)
        database.commit()
    except (PortalActionError, FormError, LedgerError) as error:
        database.rollback()
        flash(str(error), "error")
        return redirect(url_for("portal.dossier", number=found.number))
    flash(done, "info")
    _apply_track(found.id)
    return redirect(url_for("portal.dossier", number=found.number))


def _apply_track(dossier_id: int) -> None:
    # The phase engine runs at once, as after a staff action, so a hold or consent shows now.
    from daemon.phase_worker import PhaseWorker

    desk = context()
    PhaseWorker(desk).handle(dossier_id, desk.clock.today())


def _domain() -> str:
    return context().settings.agency.message_id_domain


@blueprint.route("/dossiers/<number>/document", methods=["POST"])
def upload(number: str) -> Any:
    upload = _file(request.files.get("file"))
    kind = request.form.get("kind", "")

    def step(database: Any, found: Dossier, desk: Any) -> None:
        if upload is None:
            raise PortalActionError("Kies een bestand om te uploaden.")
        upload_document(database, found, upload, kind, actor=access.portal_user().email, now=desk.clock.now(), domain=_domain())

    return _act(number, step, "Het document is ontvangen. Een medewerker controleert het.")


@blueprint.route("/dossiers/<number>/betaling", methods=["POST"])
def payment(number: str) -> Any:
    form = request.form

    def step(database: Any, found: Dossier, desk: Any) -> None:
        amount = form_amount(form.get("amount", ""))
        paid_on = form_date(form.get("paid_on", ""), "Betaaldatum", default=desk.clock.today())
        report_direct_payment(
            database, found, amount, paid_on, form.get("note", "")[:300], actor=access.portal_user().email, now=desk.clock.now(), today=desk.clock.today()
        )

    return _act(number, step, "Uw melding van de betaling is ontvangen. Een medewerker boekt de betaling.")


@blueprint.route("/dossiers/<number>/intrekken", methods=["POST"])
def withdraw(number: str) -> Any:
    reason = request.form.get("reason", "")

    def step(database: Any, found: Dossier, desk: Any) -> None:
        if request.form.get("confirm") != "ja":
            raise PortalActionError("Vink aan dat u de vordering wilt intrekken.")
        withdraw_claim(database, found, reason, actor=access.portal_user().email, now=desk.clock.now(), today=desk.clock.today())

    return _act(number, step, "De vordering is ingetrokken. Wij zetten het traject stil en sluiten het dossier na controle.")


@blueprint.route("/dossiers/<number>/toestemming", methods=["POST"])
def consent(number: str) -> Any:
    note = request.form.get("note", "")

    def step(database: Any, found: Dossier, desk: Any) -> None:
        if request.form.get("confirm") != "ja":
            raise PortalActionError("Vink aan dat u toestemming geeft voor een gerechtelijke procedure.")
        give_court_consent(database, found, note, actor=access.portal_user().email, now=desk.clock.now(), today=desk.clock.today())

    return _act(number, step, "Uw toestemming voor een gerechtelijke procedure is vastgelegd.")


@blueprint.route("/opdracht", methods=["GET", "POST"])
def new_claim() -> Any:
    client = _client()
    if request.method == "GET":
        return render_template("web/portal/new_claim.html", client=client, form={}, rows=range(MAX_INVOICES), error=None)
    form = request.form
    try:
        debtor = DebtorInput(
            name=form.get("debtor_name", "")[:300],
            kind=form.get("debtor_kind", ""),
            contact=form.get("debtor_contact", "")[:300],
            street=form.get("debtor_street", "")[:300],
            postcode_city=form.get("debtor_postcode_city", "")[:200],
            email=form.get("debtor_email", "")[:320],
            kvk=form.get("debtor_kvk", "")[:20],
        )
        invoices = _invoices(form)
        desk = context()
        inbound_id = submit_claim(
            db(),
            client,
            debtor,
            invoices,
            form.get("note", ""),
            actor=access.portal_user().email,
            now=desk.clock.now(),
            domain=_domain(),
            intake_address=desk.settings.agency.from_address,
        )
        db().commit()
    except (PortalActionError, FormError) as error:
        db().rollback()
        return render_template("web/portal/new_claim.html", client=client, form=form, rows=range(MAX_INVOICES), error=str(error)), 400
    logger.info("portal claim %s submitted", inbound_id)
    flash("Uw opdracht is ontvangen. U krijgt per e-mail het dossiernummer zodra wij de opdracht hebben verwerkt.", "info")
    return redirect(url_for("portal.index"))


def _invoices(form: Any) -> list[InvoiceInput]:
    invoices = []
    for index in range(MAX_INVOICES):
        number = form.get(f"invoice_{index}_number", "").strip()[:100]
        pdf = _file(request.files.get(f"invoice_{index}_pdf"))
        amount_text = form.get(f"invoice_{index}_amount", "").strip()
        if not number and pdf is None and not amount_text:
            continue
        invoices.append(
            InvoiceInput(
                number=number,
                invoice_date=_optional_date(form.get(f"invoice_{index}_date", ""), "Factuurdatum"),
                due_date=_optional_date(form.get(f"invoice_{index}_due", ""), "Vervaldatum"),
                amount=form_amount(amount_text, "Bedrag") if amount_text else None,
                pdf=pdf,
            )
        )
    return invoices


def _optional_date(text: str, label: str) -> date | None:
    return form_date(text.strip(), label) if text.strip() else None


@blueprint.route("/beveiliging")
def security() -> Any:
    return totp_pages.show_page("web/portal/security.html", "portal.security_action")


@blueprint.route("/beveiliging/<any(instellen, aanzetten, uitzetten):action>", methods=["POST"])
def security_action(action: str) -> Any:
    return totp_pages.handle_post(action, "portal.security")
