"""The e-mail with a one-time link to set a password, queued through the outbox."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from email.policy import SMTP
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from daemon.context import DaemonContext
from daemon.mailbuild import build_mail
from dossiers.models import Event, OutboxItem
from dossiers.outbox import QueuedMail, enqueue
from dossiers.users import Invitation

TEMPLATE = "web/mail/set_password.txt.j2"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def password_link(context: DaemonContext, token: str) -> str:
    base = context.settings.web_url or "http://127.0.0.1:8000"
    return f"{base}/wachtwoord/{token}"


def queue_invitation(
    context: DaemonContext, session: Session, invitation: Invitation, *, now: datetime, actor: str, purpose: str = "invite"
) -> OutboxItem:
    """Queue the link mail in the caller's transaction; one mail per token.

    `purpose` is "invite" for a new account or "reset" for a forgotten password.
    """
    user = invitation.user
    body = context.templates.get_template(TEMPLATE).render(
        agency=context.settings.agency,
        role=user.role,
        purpose=purpose,
        link=password_link(context, invitation.token),
        expires=invitation.expires_at.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M"),
    )
    key = f"account:token:{invitation.token_id}"
    message_id = context.signer.make(key)
    place = "het cliëntenportaal" if user.role == "client" else "het medewerkersscherm"
    subject = f"Wachtwoord instellen voor {place} van {context.settings.agency.name}"
    raw = build_mail(
        sender_name=context.settings.agency.name,
        sender_address=context.settings.agency.from_address,
        to=user.email,
        subject=subject,
        body=body,
        message_id=message_id,
        moment=now,
        auto_submitted="auto-generated",
    )
    raw = _with_plain_body(raw, body)
    item = enqueue(
        session,
        QueuedMail(idempotency_key=key, kind="email", purpose="account", dossier_id=None, recipients=(user.email,), subject=subject, message_id=message_id, raw=raw),
        now,
    )
    session.add(Event(kind="password_link_sent", actor=actor[:100], at=now, data={"user_id": user.id, "outbox_id": item.id}))
    return item


def _with_plain_body(raw: bytes, body: str) -> bytes:
    """Re-encode the body as 8bit, so the link stays one unbroken line in the .eml file.

    Quoted-printable would split a long link with soft line breaks, which a newcomer
    opening the outbox file in a text editor cannot click or copy.
    """
    message = message_from_bytes(raw, policy=SMTP)
    message.set_content(body, cte="8bit")
    return message.as_bytes(policy=SMTP)
