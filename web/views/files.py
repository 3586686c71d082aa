"""Documents, attachments, letters and sent e-mails, fetched by id only.

A file is never looked up by a name from the request. PDFs and images whose bytes match
their type are shown inline. Anything else is sent as a download of type
application/octet-stream, so a browser never renders a client's file as a page. File
names from mail are passed to `send_file`, which quotes them in Content-Disposition.
"""

from __future__ import annotations

import io
import logging
from email import message_from_bytes, policy
from typing import Any

from flask import Blueprint, Response, abort, render_template, send_file

from dossiers.blobs import get_blob
from dossiers.models import Document, InboundMessage, Letter, OutboxItem
from web.messages import load_message
from web.pdf_pages import PdfRenderError, render_page_png
from web.security import db

logger = logging.getLogger(__name__)

blueprint = Blueprint("files", __name__)

# Types shown inline, each with the bytes its files must start with.
INLINE_TYPES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff", "image/gif": b"GIF8"}


def _send(data: bytes, content_type: str, filename: str) -> Response:
    # A declared type is trusted only when the bytes agree, so a page disguised as a PDF
    # is never handed to the browser under a type it would render.
    magic = INLINE_TYPES.get(content_type)
    inline = magic is not None and data.lstrip()[:16].startswith(magic)
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        download_name=_safe_download_name(filename),
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
    return response


def _safe_download_name(filename: str) -> str:
    # Characters that are unsafe in a file name on some system, or in a header value.
    cleaned = "".join(char for char in filename if char.isprintable() and char not in '<>:"/\\|?*;').strip(" .")
    return cleaned[:150] or "bestand"


@blueprint.route("/documenten/<int:document_id>")
def document(document_id: int) -> Any:
    row = db().get(Document, document_id)
    if row is None:
        abort(404)
    return _send(get_blob(db(), row.sha256), row.content_type, row.filename)


def _attachment(inbound_id: int, index: int) -> Any:
    inbound = db().get(InboundMessage, inbound_id)
    if inbound is None:
        abort(404)
    attachment = load_message(db(), inbound).attachment(index)
    if attachment is None:
        abort(404)
    return attachment


@blueprint.route("/berichten/<int:inbound_id>/bijlagen/<int:index>")
def attachment(inbound_id: int, index: int) -> Any:
    part = _attachment(inbound_id, index)
    return _send(part.payload, part.content_type, part.filename or f"bijlage-{index}")


@blueprint.route("/berichten/<int:inbound_id>/bijlagen/<int:index>/pagina-<int:page>.png")
def page_image(inbound_id: int, index: int, page: int) -> Any:
    part = _attachment(inbound_id, index)
    if part.content_type != "application/pdf":
        abort(404)
    try:
        png = render_page_png(part.payload, page)
    except PdfRenderError:
        abort(404)
    return send_file(io.BytesIO(png), mimetype="image/png", max_age=300)


@blueprint.route("/berichten/<int:inbound_id>/origineel.eml")
def raw_message(inbound_id: int) -> Any:
    inbound = db().get(InboundMessage, inbound_id)
    if inbound is None:
        abort(404)
    return send_file(io.BytesIO(get_blob(db(), inbound.raw_sha256)), mimetype="application/octet-stream", as_attachment=True, download_name=f"bericht-{inbound_id}.eml")


@blueprint.route("/brieven/<int:letter_id>.pdf")
def letter(letter_id: int) -> Any:
    row = db().get(Letter, letter_id)
    if row is None:
        abort(404)
    return _send(get_blob(db(), row.pdf_sha256), "application/pdf", f"brief-{row.id}-fase-{row.phase}.pdf")


@blueprint.route("/outbox/<int:item_id>")
def outbox_item(item_id: int) -> Any:
    item = db().get(OutboxItem, item_id)
    if item is None:
        abort(404)
    headers: list[tuple[str, str]] = []
    body = ""
    if item.raw:
        parsed = message_from_bytes(item.raw, policy=policy.default)
        headers = [(name, str(parsed[name])) for name in ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To") if parsed[name]]
        text_part = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        body = text_part.get_content() if text_part is not None else ""
    return render_template("web/outbox_item.html", item=item, headers=headers, body=body)


@blueprint.route("/outbox/<int:item_id>/brief.pdf")
def outbox_pdf(item_id: int) -> Any:
    item = db().get(OutboxItem, item_id)
    if item is None or not item.pdf_sha256:
        abort(404)
    return _send(get_blob(db(), item.pdf_sha256), "application/pdf", f"outbox-{item.id}.pdf")
