"""The client's reply after staff approved a claim that opened a new dossier."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from daemon.context import DaemonContext
from daemon.replies import Replies
from dossiers.blobs import get_blob
from dossiers.intake import IntakeResult
from dossiers.models import InboundMessage
from dossiers.review_actions import Approval
from parsers.mail import parse_message


def queue_opening_reply(context: DaemonContext, session: Session, approval: Approval, *, now: datetime, today: date) -> bool:
    """Queue the dossiernummer reply in the caller's transaction; return whether one was queued.

    Only a newly opened dossier gets it: a dossier opened in review had its reply at intake.
    """
    if not approval.newly_opened or approval.inbound_id is None:
        return False
    inbound = session.get(InboundMessage, approval.inbound_id)
    if inbound is None:
        return False
    mail = parse_message(get_blob(session, inbound.raw_sha256))
    replies = Replies(context.templates, context.settings, context.signer)
    replies.dossier_opened(session, inbound.id, mail, IntakeResult("dossier", dossier=approval.dossier), now=now, received_on=today)
    return True
