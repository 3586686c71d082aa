"""Replies to clients: the dossiernummer, what was understood and what is missing."""

from __future__ import annotations

from datetime import date, datetime

from jinja2 import Environment
from sqlalchemy.orm import Session

from daemon.mailbuild import build_mail, message_id_for
from daemon.settings import AgencySettings
from dossiers.intake import IntakeResult
from dossiers.models import Dossier, InboundMessage
from dossiers.outbox import QueuedMail, enqueue
from dossiers.queries import claim_total
from parsers.model import ParsedMail

REPLY_TEMPLATE = "mail/reply_dossier.txt.j2"


def queue_dossier_reply(
    session: Session,
    environment: Environment,
    agency: AgencySettings,
    inbound: InboundMessage,
    mail: ParsedMail,
    result: IntakeResult,
    *,
    now: datetime,
    received_on: date,
) -> None:
    """Queue the reply for a newly opened dossier, in the caller's transaction."""
    dossier = result.dossier
    if dossier is None or not mail.from_address:
        return
    key = f"reply:inbound:{inbound.id}"
    message_id = message_id_for(key, agency.message_id_domain)
    body = render_reply_body(environment, agency, dossier, mail, result, received_on)
    raw = build_mail(
        sender_name=agency.name,
        sender_address=agency.from_address,
        to=mail.from_address,
        subject=reply_subject(dossier, mail.subject),
        body=body,
        message_id=message_id,
        moment=now,
        in_reply_to=mail.message_id,
        references=mail.references,
    )
    enqueue(
        session,
        QueuedMail(
            idempotency_key=key,
            kind="email",
            purpose="reply",
            dossier_id=dossier.id,
            recipients=(mail.from_address,),
            subject=reply_subject(dossier, mail.subject),
            message_id=message_id,
            raw=raw,
        ),
        now,
    )


def reply_subject(dossier: Dossier, original_subject: str) -> str:
    subject = " ".join(original_subject.split())[:150]
    prefix = f"Dossier {dossier.number}"
    if not subject:
        return f"{prefix}: uw opdracht is ontvangen"
    if subject.lower().startswith("re:"):
        return f"{prefix}: {subject}"
    return f"{prefix}: Re: {subject}"


def render_reply_body(
    environment: Environment,
    agency: AgencySettings,
    dossier: Dossier,
    mail: ParsedMail,
    result: IntakeResult,
    received_on: date,
) -> str:
    debtor = dossier.debtor
    address = " ".join(part for part in (debtor.street, ",", debtor.postcode, debtor.city) if part).replace(" ,", ",")
    claims = list(dossier.claims)
    total = claim_total(claims)
    return environment.get_template(REPLY_TEMPLATE).render(
        received_on=received_on,
        number=dossier.number,
        debtor_name=debtor.name,
        debtor_kind=debtor.kind,
        debtor_address=address.strip(", "),
        claims=claims,
        total=total,
        status=dossier.status,
        reasons=[reason.message for reason in result.reasons],
        agency=agency,
    )
