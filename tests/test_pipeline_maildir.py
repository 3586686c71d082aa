"""End to end on the embedded default: Maildir in, dossiers and replies and letters out.

Runs the real `incasso` command in a subprocess against the project's example mails,
on SQLite and on PostgreSQL, and checks every mail's outcome against the ground truth
the generator recorded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from daemon_helpers import REPO, cli_json, example_clients, read_outbox_mails, register_clients, run_cli, snapshot

from conftest import TODAY
from daemon.examples import build_example_mails, write_maildir
from dossiers.numbers import parse_number

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example_mails():  # type: ignore[no-untyped-def]
    return build_example_mails(8, seed=2026, today=TODAY)


def test_example_mails_end_to_end(example_mails, daemon_env: dict[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_maildir(example_mails, tmp_path / "maildir")

    assert run_cli(["db", "upgrade"], daemon_env).returncode == 0
    register_clients(daemon_env["INCASSO_DATABASE_URL"], example_clients(example_mails))
    result = run_cli(["run", "--once"], daemon_env)
    assert result.returncode == 0, result.stderr

    outcomes = {row["message_id"]: row for row in _messages(daemon_env)}
    dossiers = {row["number"]: row for row in cli_json(["dossiers", "list"], daemon_env)}
    replies = read_outbox_mails(tmp_path / "outbox")
    replies_by_parent = {str(reply["In-Reply-To"]): reply for reply in replies if reply["In-Reply-To"]}

    for mail in example_mails:
        row = outcomes[mail.message_id]
        assert row["status"] == "done", mail.kind
        assert row["outcome"] == mail.expect, (mail.kind, row)
        if mail.expect_reason:
            assert mail.expect_reason in (row["reason"] or ""), (mail.kind, row)

        reply = replies_by_parent.get(mail.message_id)
        if mail.expect == "ignored" or (mail.expect == "review" and not mail.invoices):
            assert reply is None, mail.kind
            continue

        assert reply is not None, mail.kind
        number = parse_number(str(reply["Subject"]))
        assert number is not None, reply["Subject"]
        assert number in reply.get_content()
        assert reply["Auto-Submitted"] == "auto-replied"
        assert reply["Message-ID"].endswith("@alertincasso.nl>")
        assert reply["To"] == mail.client.email

        detail = cli_json(["dossiers", "show", number], daemon_env)
        assert detail["status"] == ("active" if mail.expect == "dossier" else "review")
        claims = {claim["invoice_number"]: claim for claim in detail["claims"]}
        assert set(claims) == {invoice.number for invoice in mail.invoices}
        for invoice in mail.invoices:
            assert Decimal(claims[invoice.number]["principal"]) == invoice.outstanding
            assert claims[invoice.number]["due_date"] == invoice.due_date.isoformat()
        assert detail["debtor"]["name"] == mail.debtor.name
        assert number in dossiers

        if mail.expect == "dossier":
            assert len(detail["letters"]) == 1, mail.kind
            letter = detail["letters"][0]
            assert letter["phase"] == 1
            assert letter["kind"] == "ingebrekestelling"
            expected_principal = sum((invoice.outstanding for invoice in mail.invoices), Decimal("0"))
            assert Decimal(letter["principal"]) == expected_principal
            assert Decimal(letter["total"]) > expected_principal
            assert detail["phase"] == 1
        else:
            assert detail["letters"] == []

    letters_by_post = list((tmp_path / "outbox" / "post").glob("*.pdf"))
    letter_mails = [mail for mail in replies if str(mail["Subject"]).startswith("Ingebrekestelling")]
    expected_letters = sum(1 for mail in example_mails if mail.expect == "dossier")
    assert len(letters_by_post) + len(letter_mails) == expected_letters
    for pdf in letters_by_post:
        assert pdf.read_bytes().startswith(b"%PDF")

    processed = list((tmp_path / "maildir" / "cur").iterdir())
    assert len(processed) == len(example_mails)
    assert list((tmp_path / "maildir" / "new").iterdir()) == []


def test_second_run_changes_nothing(example_mails, daemon_env: dict[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_maildir(example_mails, tmp_path / "maildir")
    assert run_cli(["db", "upgrade"], daemon_env).returncode == 0
    register_clients(daemon_env["INCASSO_DATABASE_URL"], example_clients(example_mails))
    assert run_cli(["run", "--once"], daemon_env).returncode == 0
    before = snapshot(daemon_env["INCASSO_DATABASE_URL"])
    files_before = sorted(path.name for path in (tmp_path / "outbox").rglob("*") if path.is_file())

    # Putting the same files back into new/ must not open anything twice either.
    for path in (tmp_path / "maildir" / "cur").iterdir():
        path.rename(tmp_path / "maildir" / "new" / path.name.split(":")[0])
    assert run_cli(["run", "--once"], daemon_env).returncode == 0

    after = snapshot(daemon_env["INCASSO_DATABASE_URL"])
    files_after = sorted(path.name for path in (tmp_path / "outbox").rglob("*") if path.is_file())
    assert after == before
    assert files_after == files_before


def test_daemon_picks_up_new_mail_and_stops_on_sigterm(example_mails, daemon_env: dict[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if "postgresql" in daemon_env["INCASSO_DATABASE_URL"]:
        pytest.skip("the long-running loop is the same on both stores; once on SQLite is enough")
    env = {**os.environ, **daemon_env}
    assert run_cli(["db", "upgrade"], daemon_env).returncode == 0
    register_clients(daemon_env["INCASSO_DATABASE_URL"], example_clients(example_mails))
    process = subprocess.Popen(
        [sys.executable, "-m", "daemon.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)
        write_maildir(example_mails[:1], tmp_path / "maildir")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = _messages(daemon_env)
            if rows and rows[0]["status"] == "done":
                break
            time.sleep(0.5)
        assert rows and rows[0]["outcome"] == example_mails[0].expect
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "SIGTERM received" in stderr
    assert "daemon stopped" in stderr


def _messages(daemon_env: dict[str, str]) -> list[dict[str, object]]:
    from dossiers.db import make_engine, make_session_factory
    from dossiers.queries import message_outcomes

    engine = make_engine(daemon_env["INCASSO_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            return message_outcomes(session)
    finally:
        engine.dispose()
