"""End to end against a real Dovecot and a real SMTP receiver, including crashes.

The daemon runs as a subprocess (`incasso run`), reads a private Dovecot on a loopback
port and sends replies and letters to an aiosmtpd receiver in the test process. Both
run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes, policy

import pytest
from daemon_helpers import REPO, example_clients, register_clients, run_cli, snapshot
from servers.dovecot import DovecotServer, dovecot  # noqa: F401
from servers.smtp import SmtpSink, smtp_sink  # noqa: F401
from shared_paths import SHARED, requires_shared
from sqlalchemy import select

from conftest import TODAY
from daemon.examples import build_example_mails
from dossiers.db import make_engine, make_session_factory
from dossiers.models import Dossier, InboundMessage, Letter, OutboxItem

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]

# Failure cases with what each must become: (file, outcome, invoice number or review reason).
CASE_EXPECTATIONS = [
    ("case01-encoded-word-filename-split.eml", "dossier", "2024-0101"),
    ("case02-apple-mail-inline-pdf.eml", "dossier", "2024-0202"),
    ("case04-base64-internal-padding.eml", "dossier", "2024-0404"),
    ("case07-unknown-charset-cp1252-body.eml", "review", "debtor_kind_unsure"),
    ("case08-out-of-office-autoreply.eml", "ignored", "auto_reply"),
    ("carriers/case11-carrier.eml", "dossier", "2024-1111"),
    ("carriers/case13-carrier.eml", "review", "pdf_text_layer_unreadable"),
    ("carriers/case15-carrier.eml", "dossier", "2024-1515"),
    ("carriers/case17-carrier.eml", "review", "pdf_no_text_layer"),
]


def imap_env(daemon_env: dict[str, str], server: DovecotServer, sink: SmtpSink) -> dict[str, str]:
    return {
        **daemon_env,
        "INCASSO_IMAP_HOST": server.host,
        "INCASSO_IMAP_PORT": str(server.port),
        "INCASSO_IMAP_SECURITY": "none",
        "INCASSO_IMAP_USER": server.user,
        "INCASSO_IMAP_PASSWORD": server.password,
        "INCASSO_SMTP_HOST": sink.host,
        "INCASSO_SMTP_PORT": str(sink.port),
        "INCASSO_SMTP_SECURITY": "none",
    }


def test_example_mails_over_imap_and_smtp(dovecot: DovecotServer, smtp_sink: SmtpSink, daemon_env: dict[str, str]) -> None:  # noqa: F811
    mails = build_example_mails(8, seed=2026, today=TODAY)
    dovecot.deliver_many(mail.raw for mail in mails)
    env = imap_env(daemon_env, dovecot, smtp_sink)

    assert run_cli(["db", "upgrade"], env).returncode == 0
    register_clients(env["INCASSO_DATABASE_URL"], example_clients(mails))
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr

    outcomes = _outcomes_by_message_id(env["INCASSO_DATABASE_URL"])
    for mail in mails:
        assert outcomes[mail.message_id][0] == mail.expect, mail.kind
    assert dovecot.list_uids("INBOX") == []
    assert len(dovecot.list_uids("Verwerkt")) == len(mails)

    replies = [message for message in smtp_sink.messages if message.in_reply_to]
    replied_to = {message.in_reply_to for message in replies}
    expected_replies = {mail.message_id for mail in mails if mail.expect == "dossier" or (mail.expect == "review" and mail.invoices)}
    assert replied_to == expected_replies
    assert {message.recipients[0] for message in replies} <= {mail.client.email for mail in mails}

    before = snapshot(env["INCASSO_DATABASE_URL"])
    received_before = len(smtp_sink.messages)
    assert run_cli(["run", "--once"], env).returncode == 0
    assert snapshot(env["INCASSO_DATABASE_URL"]) == before
    assert len(smtp_sink.messages) == received_before


@requires_shared()
@pytest.mark.corpus
def test_failure_cases_over_imap(dovecot: DovecotServer, smtp_sink: SmtpSink, daemon_env: dict[str, str]) -> None:  # noqa: F811
    raws = [(SHARED / "cases" / name).read_bytes() for name, _, _ in CASE_EXPECTATIONS]
    dovecot.deliver_many(raws)
    env = imap_env(daemon_env, dovecot, smtp_sink)

    assert run_cli(["db", "upgrade"], env).returncode == 0
    register_clients(env["INCASSO_DATABASE_URL"], {"administratie@example.nl": "Installatiebedrijf Hoekstra B.V."})
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr

    engine = make_engine(env["INCASSO_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(select(InboundMessage).order_by(InboundMessage.uid)).scalars().all()
            assert len(rows) == len(CASE_EXPECTATIONS)
            for row, (name, outcome, detail) in zip(rows, CASE_EXPECTATIONS):
                assert row.outcome == outcome, (name, row.reason)
                if outcome == "dossier":
                    dossier = session.get(Dossier, row.dossier_id)
                    assert dossier is not None
                    assert [claim.invoice_number for claim in dossier.claims] == [detail], name
                else:
                    assert detail in (row.reason or ""), (name, row.reason)
            # A scan read by OCR opens a dossier in review (and gets a reply) only when
            # Tesseract found claim data; without OCR it stays a review item alone.
            with_dossier = {row.message_id for row in rows if row.dossier_id is not None}
    finally:
        engine.dispose()

    replies = {message.in_reply_to for message in smtp_sink.messages if message.in_reply_to}
    case08_parent = message_from_bytes(raws[4], policy=policy.default)["In-Reply-To"]
    assert case08_parent not in replies
    assert replies == with_dossier


def test_exactly_once_across_sigkill(dovecot: DovecotServer, smtp_sink: SmtpSink, daemon_env: dict[str, str]) -> None:  # noqa: F811
    mails = build_example_mails(56, seed=7, today=TODAY)
    dovecot.deliver_many(mail.raw for mail in mails)
    env = {**os.environ, **imap_env(daemon_env, dovecot, smtp_sink), "INCASSO_POLL_SECONDS": "0.2"}
    rng = random.Random(20261204)
    assert run_cli(["db", "upgrade"], env).returncode == 0
    register_clients(env["INCASSO_DATABASE_URL"], example_clients(mails))

    kills = 0
    for _ in range(6):
        process = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.0, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1

    result = run_cli(["run", "--once"], imap_env(daemon_env, dovecot, smtp_sink))
    assert result.returncode == 0, result.stderr

    engine = make_engine(env["INCASSO_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            inbound = session.execute(select(InboundMessage)).scalars().all()
            assert len(inbound) == len(mails)
            assert all(row.status == "done" for row in inbound)
            assert Counter(row.message_id for row in inbound) == Counter(mail.message_id for mail in mails)
            by_id = {row.message_id: row for row in inbound}
            for mail in mails:
                assert by_id[mail.message_id].outcome == mail.expect, mail.kind

            dossiers = session.execute(select(Dossier)).scalars().all()
            replies = session.execute(select(OutboxItem).where(OutboxItem.purpose == "reply")).scalars().all()
            assert Counter(item.dossier_id for item in replies) == Counter(dossier.id for dossier in dossiers)
            assert all(item.status == "sent" for item in replies)

            letters = session.execute(select(Letter)).scalars().all()
            assert len({letter.dossier_id for letter in letters}) == len(letters)
            active = [dossier for dossier in dossiers if dossier.status == "active"]
            assert len(letters) == len(active)
            reply_ids = {item.message_id for item in replies}
    finally:
        engine.dispose()

    assert dovecot.list_uids("INBOX") == []
    received = Counter(message.message_id for message in smtp_sink.messages)
    assert reply_ids <= set(received)
    # A process killed after the SMTP server accepted a message but before the outbox
    # recorded it resends that message with the same Message-ID; at most one per kill.
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= kills, json.dumps(received, indent=1)


def _outcomes_by_message_id(database_url: str) -> dict[str, tuple[str | None, str | None]]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(select(InboundMessage)).scalars().all()
            return {row.message_id: (row.outcome, row.reason) for row in rows}
    finally:
        engine.dispose()
