"""A seeded desk for tests and screenshots: example mails run through the real daemon.

`seed_desk` writes the project's example mails (plus a hostile one and one from an
address that is no client) into a Maildir, registers their clients, runs the daemon's workers
until idle, and creates a staff account with a known password. Every name and address
is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from daemon.context import DaemonContext
from daemon.settings import load_settings

STAFF_EMAIL = "medewerker@alertincasso.example"
STAFF_PASSWORD = "correct-horse-battery-staple"
HOSTILE_SUBJECT = 'Factuur <script>window.__pwned_subject=1</script> "><img src=x onerror=alert(1)>'
HOSTILE_FILENAME = '<img src=x onerror="window.__pwned_file=1">.pdf'
HOSTILE_HTML = (
    "<html><head><style>body{display:none}</style><script>window.__pwned_head=1</script></head>"
    "<body><p onclick=\"window.__pwned_click=1\">Zie bijlage</p>"
    "<script>window.__pwned_body=1;alert('xss')</script>"
    "<img src=\"https://tracker.example/pixel.gif\" onerror=\"window.__pwned_img=1\">"
    "<a href=\"javascript:window.__pwned_link=1\">klik</a>"
    "<iframe src=\"https://evil.example/\"></iframe>"
    "<svg onload=\"window.__pwned_svg=1\"></svg></body></html>"
)
HOSTILE_TEXT = "Zie bijlage <script>window.__pwned_text=1</script>\nMet vriendelijke groet"
STRANGER = "debiteurenbeheer@nieuwe-klant.example"


@dataclass(frozen=True)
class SeededDesk:
    context: DaemonContext
    environment: dict[str, str]
    registered_clients: dict[str, str]
    unregistered_sender: str
    hostile_sender: str


def desk_environment(tmp_path: Path, database_url: str, today: date) -> dict[str, str]:
    return {
        "INCASSO_DATABASE_URL": database_url,
        "INCASSO_MAILDIR": str(tmp_path / "maildir"),
        "INCASSO_OUTBOX_DIR": str(tmp_path / "outbox"),
        "INCASSO_TODAY": today.isoformat(),
        "INCASSO_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "INCASSO_WEB_URL": "http://127.0.0.1:8000",
    }


def hostile_mail(sender: str, moment: datetime) -> bytes:
    """Build a client mail whose subject, HTML body and attachment name try to run script."""
    message = EmailMessage()
    message["From"] = Address("Aanvaller", *sender.split("@"))
    message["To"] = "info@alertincasso.nl"
    message["Subject"] = HOSTILE_SUBJECT
    message["Date"] = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["Message-ID"] = "<hostile-1@aanvaller.example>"
    message.set_content(HOSTILE_TEXT)
    message.add_alternative(HOSTILE_HTML, subtype="html")
    message.add_attachment(b"not really a pdf", maintype="application", subtype="octet-stream", filename=HOSTILE_FILENAME)
    return message.as_bytes(policy=SMTP)


def stranger_mail(moment: datetime) -> bytes:
    """Build a claim from an address that is no client yet, which intake sends to triage."""
    message = EmailMessage()
    message["From"] = Address("Nieuwe Klant", *STRANGER.split("@"))
    message["To"] = "info@alertincasso.nl"
    message["Subject"] = "Graag incasso voor factuur NK-2026-17"
    message["Date"] = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["Message-ID"] = "<stranger-1@nieuwe-klant.example>"
    message.set_content(
        "Goedemiddag,\n\nWilt u factuur NK-2026-17 van 1 september 2026 aan Bakkerij De Korenschoof B.V.\n"
        "incasseren? Het openstaande bedrag is € 1.250,00, vervallen op 1 oktober 2026.\n\n"
        "Met vriendelijke groet,\nNieuwe Klant B.V.\n"
    )
    return message.as_bytes(policy=SMTP)


def seed_desk(tmp_path: Path, database_url: str, today: date) -> SeededDesk:
    """Run example mails through the daemon into a fresh store and add a staff account."""
    from daemon.app import make_workers
    from daemon.examples import build_example_mails, write_maildir
    from daemon.examples.maildir import ensure_maildir
    from daemon.runner import run_until_idle
    from dossiers.clients import register_client
    from dossiers.migrate import upgrade
    from dossiers.users import create_user, issue_token, set_password_with_token

    environment = desk_environment(tmp_path, database_url, today)
    context = DaemonContext.from_settings(load_settings(environ=environment))
    upgrade(context.engine)

    mails = build_example_mails(12, seed=2026, today=today)
    registered = {mail.client.email: mail.client.name for mail in mails}
    hostile_sender = sorted(registered)[0]
    write_maildir(mails, tmp_path / "maildir")
    ensure_maildir(tmp_path / "maildir")
    now = datetime.now(timezone.utc)
    (tmp_path / "maildir" / "new" / "1700000000.hostile.alertincasso").write_bytes(hostile_mail(hostile_sender, now))
    (tmp_path / "maildir" / "new" / "1700000001.stranger.alertincasso").write_bytes(stranger_mail(now))

    with context.session() as session:
        for email, name in registered.items():
            register_client(session, email, name=name, now=now, by="test")
        user = create_user(session, STAFF_EMAIL, "staff", now=now, actor="test")
        invitation = issue_token(session, user, now=now)
        set_password_with_token(session, invitation.token, STAFF_PASSWORD, now=now)
        session.commit()

    workers = make_workers(context)
    try:
        run_until_idle(workers.in_order())
    finally:
        workers.close()
    return SeededDesk(context, environment, registered, STRANGER, hostile_sender)
