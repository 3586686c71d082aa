"""Overlapping daemons, re-sent and look-alike mails, and a backlog with a dropped
connection: exactly one dossier and one reply per real claim."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes, policy

import pytest
from daemon_helpers import REPO, example_clients, register_clients, run_cli
from servers.dovecot import DovecotServer, dovecot  # noqa: F401
from servers.smtp import SmtpSink, smtp_sink  # noqa: F401
from sqlalchemy import select

from conftest import TODAY
from daemon.app import make_workers
from daemon.context import DaemonContext
from daemon.examples import build_backlog_mails, build_example_mails
from daemon.runner import BackOff
from daemon.settings import load_settings
from dossiers.db import make_engine, make_session_factory
from dossiers.migrate import upgrade
from dossiers.models import Dossier, InboundMessage, OutboxItem

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]


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
        "INCASSO_POLL_SECONDS": "0.2",
    }


def rows_of(database_url: str, model: type) -> list:  # type: ignore[type-arg]
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.execute(select(model)).scalars())
    finally:
        engine.dispose()


def test_two_daemons_on_one_mailbox_process_each_mail_once(
    dovecot: DovecotServer, smtp_sink: SmtpSink, daemon_env: dict[str, str]  # noqa: F811
) -> None:
    mails = build_example_mails(24, seed=11, today=TODAY)
    env = imap_env(daemon_env, dovecot, smtp_sink)
    assert run_cli(["db", "upgrade"], env).returncode == 0
    register_clients(env["INCASSO_DATABASE_URL"], example_clients(mails))
    dovecot.deliver_many(mail.raw for mail in mails)

    processes = [
        subprocess.Popen([sys.executable, "-m", "daemon.cli", "run"], cwd=REPO, env={**os.environ, **env},
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            inbound = rows_of(env["INCASSO_DATABASE_URL"], InboundMessage)
            outbox = rows_of(env["INCASSO_DATABASE_URL"], OutboxItem)
            if len(inbound) == len(mails) and all(row.status == "done" for row in inbound) and outbox and all(
                item.status == "sent" for item in outbox
            ):
                break
            time.sleep(1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.communicate(timeout=60)

    inbound = rows_of(env["INCASSO_DATABASE_URL"], InboundMessage)
    assert Counter(row.message_id for row in inbound) == Counter(mail.message_id for mail in mails)
    by_id = {row.message_id: row for row in inbound}
    for mail in mails:
        assert by_id[mail.message_id].outcome == mail.expect, mail.kind
    replies = Counter(message.in_reply_to for message in smtp_sink.messages if message.in_reply_to)
    assert all(count == 1 for count in replies.values()), replies
    dossiers = rows_of(env["INCASSO_DATABASE_URL"], Dossier)
    assert len(replies) == len(dossiers)
    assert dovecot.list_uids("INBOX") == []


def test_resent_and_lookalike_mails(dovecot: DovecotServer, smtp_sink: SmtpSink, daemon_env: dict[str, str]) -> None:  # noqa: F811
    classic = [mail for mail in build_example_mails(40, seed=3, today=TODAY) if mail.kind == "single_classic"]
    first, second = next((a, b) for a in classic for b in classic if a is not b and a.client.email == b.client.email)
    env = imap_env(daemon_env, dovecot, smtp_sink)
    assert run_cli(["db", "upgrade"], env).returncode == 0
    register_clients(env["INCASSO_DATABASE_URL"], example_clients([first, second]))

    resent = first.raw
    same_subject = _with_headers(second.raw, subject="Factuur juni", sender=first.client.email)
    same_subject_too = _with_headers(first.raw, subject="Factuur juni")
    reused_id = _with_headers(second.raw, message_id=first.message_id, sender=first.client.email)
    dovecot.deliver_many([first.raw, resent, same_subject_too, reused_id, same_subject])

    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert "reuses Message-ID" in result.stderr

    inbound = sorted(rows_of(env["INCASSO_DATABASE_URL"], InboundMessage), key=lambda row: row.uid)
    assert [row.outcome for row in inbound] == ["dossier"] * 5
    assert [row.reason for row in inbound] == [None, "duplicate", "duplicate", None, "duplicate"]
    dossiers = rows_of(env["INCASSO_DATABASE_URL"], Dossier)
    assert len(dossiers) == 2  # the two different invoices, whatever their headers say

    notices = [
        message for message in smtp_sink.messages
        if "al bij ons in behandeling" in message_from_bytes(message.raw, policy=policy.default).get_content()
    ]
    assert len(notices) == 2  # at most one per dossier


def test_backlog_survives_a_dropped_connection(dovecot: DovecotServer, smtp_sink: SmtpSink, daemon_env: dict[str, str]) -> None:  # noqa: F811
    if "postgresql" in daemon_env["INCASSO_DATABASE_URL"]:
        pytest.skip("the fetch watermark logic is the same on both stores; SQLite keeps this test short")
    mails = list(build_backlog_mails(600, seed=20, today=TODAY))
    context = DaemonContext.from_settings(load_settings(environ=imap_env(daemon_env, dovecot, smtp_sink)))
    upgrade(context.engine)
    register_clients(context.settings.database_url, example_clients(mails))
    dovecot.deliver_many(mail.raw for mail in mails)
    workers = make_workers(context)

    stored_per_pass = []
    for _ in range(3):
        stored_per_pass.append(workers.fetch.run_once())
    dovecot.kick()  # the server drops the connection after 300 messages
    with pytest.raises(BackOff):
        workers.fetch.run_once()
    while True:
        count = workers.fetch.run_once()
        if count == 0:
            break
        stored_per_pass.append(count)
    while workers.intake.run_once():
        pass

    assert stored_per_pass[:3] == [100, 100, 100]  # batches of at most 100, resumed after the drop
    assert sum(stored_per_pass) == len(mails)
    inbound = rows_of(context.settings.database_url, InboundMessage)
    assert len(inbound) == len(mails)
    outcomes = Counter(row.outcome for row in inbound)
    expected = Counter(mail.expect for mail in mails)
    assert outcomes == expected
    assert dovecot.list_uids("INBOX") == []
    workers.close()
    context.close()


def _with_headers(raw: bytes, *, subject: str | None = None, sender: str | None = None, message_id: str | None = None) -> bytes:
    message = message_from_bytes(raw, policy=policy.compat32)
    if subject is not None:
        del message["Subject"]
        message["Subject"] = subject
    if sender is not None:
        del message["From"]
        message["From"] = sender
    if message_id is not None:
        del message["Message-ID"]
        message["Message-ID"] = message_id
    return message.as_bytes()
