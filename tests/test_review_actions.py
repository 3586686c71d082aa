"""Staff actions on review items: correct, approve, reject and attach, through the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_helpers import cli_json, example_clients, read_outbox_mails, register_clients, run_cli
from sqlalchemy import select

from conftest import TODAY
from daemon.context import DaemonContext
from daemon.examples import build_example_mails, write_maildir
from daemon.settings import load_settings
from dossiers.corrections import FieldCorrection
from dossiers.models import Dossier, Event, InboundMessage, OutboxItem, ReviewItem
from dossiers.review_actions import ReviewActionError, approve, field_rows

pytestmark = pytest.mark.slow


@pytest.fixture
def processed(daemon_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """The eight example mails after one daemon pass."""
    mails = build_example_mails(8, seed=2026, today=TODAY)
    write_maildir(mails, tmp_path / "maildir")
    assert run_cli(["db", "upgrade"], daemon_env).returncode == 0
    register_clients(daemon_env["INCASSO_DATABASE_URL"], example_clients(mails))
    result = run_cli(["run", "--once"], daemon_env)
    assert result.returncode == 0, result.stderr
    yield daemon_env


def item_with(env: dict[str, str], code: str) -> dict[str, object]:
    items = cli_json(["review", "list"], env)
    return next(item for item in items if any(reason["code"] == code for reason in item["reasons"]))


def test_missing_invoice_completed_by_staff_opens_dossier(processed: dict[str, str], tmp_path: Path) -> None:
    env = processed
    item = item_with(env, "no_invoice_found")
    assert item["dossier"] is None

    refused = run_cli(["review", "approve", str(item["id"])], env)
    assert refused.returncode == 1
    assert "Nog niet compleet" in refused.stderr
    assert "factuur" in refused.stderr

    for path, value in [
        ("debtor.name", "Schildersbedrijf Gebr. Brouwer V.O.F."),
        ("debtor.kind", "bedrijf"),
        ("debtor.street", "Dorpsstraat 5"),
        ("debtor.postcode", "3511 AB"),
        ("debtor.city", "Utrecht"),
        ("invoices[0].number", "VLD-2026-0999"),
        ("invoices[0].amount_total", "1.234,56"),
        ("invoices[0].date", "01-09-2026"),
        ("invoices[0].due_date", "01-10-2026"),
    ]:
        result = run_cli(["correct", str(item["id"]), path, value, "--by", "anna"], env)
        assert result.returncode == 0, (path, result.stderr)

    fields = {row["path"]: row for row in cli_json(["review", "fields", str(item["id"])], env)}
    assert fields["invoices[0].amount_total"]["value"] == "1234.56"
    assert fields["invoices[0].amount_total"]["trusted"] is True

    result = run_cli(["review", "approve", str(item["id"]), "--by", "anna"], env)
    assert result.returncode == 0, result.stderr
    number = result.stdout.split("dossier ")[1].split(" ")[0]
    detail = cli_json(["dossiers", "show", number], env)
    assert detail["status"] == "active"
    assert [(claim["invoice_number"], claim["principal"]) for claim in detail["claims"]] == [("VLD-2026-0999", "1234.56")]
    assert detail["debtor"]["kind"] == "business"
    assert "review_approved" in [event["kind"] for event in detail["events"]]

    replies = [mail for mail in read_outbox_mails(Path(env["INCASSO_OUTBOX_DIR"])) if number in str(mail["Subject"])]
    assert len(replies) == 0  # queued, delivered on the next pass
    assert run_cli(["run", "--once"], env).returncode == 0
    replies = [mail for mail in read_outbox_mails(Path(env["INCASSO_OUTBOX_DIR"])) if number in str(mail["Subject"])]
    assert len(replies) == 1
    assert replies[0]["In-Reply-To"] == str(item["message_id"])


def test_corrections_are_kept_per_client(processed: dict[str, str]) -> None:
    env = processed
    item = item_with(env, "no_invoice_found")
    assert run_cli(["correct", str(item["id"]), "invoices[0].number", "VLD-1", "--by", "bram"], env).returncode == 0
    context = DaemonContext.from_settings(load_settings(environ=env))
    with context.session() as session:
        correction = session.execute(select(FieldCorrection)).scalar_one()
        assert correction.field == "invoices[0].number"
        assert correction.value_before is None
        assert correction.value_after == "VLD-1"
        assert correction.corrected_by == "bram"
        assert correction.client_email == str(item["from"])
        kinds = session.execute(select(Event.kind).where(Event.actor == "bram")).scalars().all()
        assert kinds == ["field_corrected"]
    context.close()


def test_bad_correction_is_refused_in_dutch(processed: dict[str, str]) -> None:
    item = item_with(processed, "no_invoice_found")
    result = run_cli(["correct", str(item["id"]), "invoices[0].amount_total", "veel geld"], processed)
    assert result.returncode != 0
    assert "bedrag" in result.stderr


def test_reject_closes_review_dossier_and_sends_nothing(processed: dict[str, str]) -> None:
    env = processed
    item = item_with(env, "debtor_kind_unsure")
    outbox_before = len(cli_json(["outbox", "list"], env))
    result = run_cli(["review", "reject", str(item["id"]), "--reason", "Opdrachtgever trekt in", "--by", "anna"], env)
    assert result.returncode == 0, result.stderr
    detail = cli_json(["dossiers", "show", str(item["dossier"])], env)
    assert detail["status"] == "closed"
    assert len(cli_json(["outbox", "list"], env)) == outbox_before
    again = run_cli(["review", "reject", str(item["id"]), "--reason", "nogmaals"], env)
    assert again.returncode == 1
    assert "al afgehandeld" in again.stderr


def test_triaged_message_attached_to_dossier(processed: dict[str, str], tmp_path: Path) -> None:
    env = processed
    dossiers = cli_json(["dossiers", "list", "--status", "active"], env)
    stranger = (
        "From: onbekend@elders.example\r\nTo: info@alertincasso.nl\r\nSubject: Vraag\r\n"
        "Message-ID: <stranger-1@elders.example>\r\n\r\nIk heb een vraag over een factuur.\r\n"
    ).encode()
    (tmp_path / "maildir" / "new" / "1800000000.stranger").write_bytes(stranger)
    assert run_cli(["run", "--once"], env).returncode == 0
    item = item_with(env, "unknown_sender")

    wrong = run_cli(["review", "attach", str(item["id"]), "2026-000001-0"], env)
    assert wrong.returncode == 1
    assert "controlecijfer" in wrong.stderr

    result = run_cli(["review", "attach", str(item["id"]), dossiers[0]["number"]], env)
    assert result.returncode == 0, result.stderr
    detail = cli_json(["dossiers", "show", dossiers[0]["number"]], env)
    assert "message_attached" in [event["kind"] for event in detail["events"]]


def test_field_rows_show_confidence_and_place(processed: dict[str, str]) -> None:
    context = DaemonContext.from_settings(load_settings(environ=processed))
    with context.session() as session:
        item = session.execute(select(ReviewItem).where(ReviewItem.dossier_id.is_not(None))).scalars().first()
        assert item is not None
        rows = {row.path: row for row in field_rows(item)}
        assert rows["invoices[0].number"].value
        assert "#page=" in rows["invoices[0].number"].source
        assert rows["debtor.name"].label == "Debiteur: Naam"
        with pytest.raises(ReviewActionError):
            approve(session, 999_999, actor="x", now=context.clock.now(), today=TODAY)
        inbound_count = len(session.execute(select(InboundMessage)).scalars().all())
        assert inbound_count == 8
        assert session.execute(select(OutboxItem)).scalars().first() is not None
        assert session.execute(select(Dossier)).scalars().first() is not None
    context.close()
