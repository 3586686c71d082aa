"""Ownership checks of the client portal: a client user reaches only its own client's rows.

Every portal route that takes a dossiernummer, document id or letter id loads the row
through one of the functions below. A row of another client, or one that does not
exist, answers 404 (never 403, so an id of another client looks exactly like an unused
one) and is recorded as an audited `portal_access_denied` event.
"""

from __future__ import annotations

import logging
from typing import NoReturn

from flask import abort, request
from sqlalchemy import select

from dossiers.models import Document, Dossier, Event, Letter
from dossiers.queries import find_dossier
from web.auth import CurrentUser, current_user
from web.security import db
from web.views.common import context

logger = logging.getLogger(__name__)


def portal_user() -> CurrentUser:
    """Return the logged-in client user; the role check in web.auth has already run."""
    user = current_user()
    if user is None or user.role != "client" or user.client_id is None:
        abort(403)
    return user


def deny(what: str, value: object) -> NoReturn:
    """Record the refused lookup as an audited event, then answer 404."""
    user = portal_user()
    database = db()
    database.rollback()
    database.add(
        Event(
            kind="portal_access_denied",
            actor=user.email[:100],
            at=context().clock.now(),
            data={"user_id": user.id, "client_id": user.client_id, "route": request.endpoint, "what": what, "value": str(value)[:60]},
        )
    )
    database.commit()
    logger.warning("portal user %s denied %s %s on %s", user.id, what, str(value)[:60], request.endpoint)
    abort(404)


def owned_dossier(number: str) -> Dossier:
    """Return the dossier with this number when it belongs to the user's client."""
    user = portal_user()
    dossier = find_dossier(db(), number[:40])
    if dossier is None or dossier.client_id != user.client_id:
        deny("dossier", number)
    return dossier


def owned_document(document_id: int) -> tuple[Document, Dossier]:
    user = portal_user()
    database = db()
    row = database.execute(
        select(Document, Dossier).join(Dossier, Dossier.id == Document.dossier_id).where(Document.id == document_id)
    ).first()
    if row is None or row[1].client_id != user.client_id:
        deny("document", document_id)
    return row[0], row[1]


def owned_letter(letter_id: int) -> tuple[Letter, Dossier]:
    user = portal_user()
    database = db()
    row = database.execute(select(Letter, Dossier).join(Dossier, Dossier.id == Letter.dossier_id).where(Letter.id == letter_id)).first()
    if row is None or row[1].client_id != user.client_id:
        deny("letter", letter_id)
    return row[0], row[1]


def audit(kind: str, dossier: Dossier | None, data: dict[str, object]) -> None:
    """Add an audited event with the client user's e-mail as actor, in the caller's transaction."""
    user = portal_user()
    db().add(
        Event(
            dossier_id=dossier.id if dossier is not None else None,
            kind=kind,
            actor=user.email[:100],
            at=context().clock.now(),
            data={"user_id": user.id, **data},
        )
    )
