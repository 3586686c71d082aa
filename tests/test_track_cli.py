"""Staff commands of the collection track through the real `incasso` command."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from daemon_helpers import run_cli
from test_track_support import SeedClaim, seed_dossier

OPENED = date(2026, 12, 1)  # a Tuesday
CLAIM = SeedClaim("F-100", date(2026, 10, 1), date(2026, 10, 31), Decimal("1250.00"))


def env_for(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        "INCASSO_DATABASE_URL": database_url,
        "INCASSO_MAILDIR": str(tmp_path / "maildir"),
        "INCASSO_OUTBOX_DIR": str(tmp_path / "outbox"),
        "INCASSO_SECRET_KEY": "track-test-secret-0123456789abcdef0123456789",
    }


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, args: list[str], day: date) -> subprocess.CompletedProcess[str]:
        return run_cli(args, {**self.env, "INCASSO_TODAY": day.isoformat()})

    def ok(self, args: list[str], day: date) -> str:
        result = self.run(args, day)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def show(self, number: str, day: date) -> dict[str, Any]:
        return json.loads(self.ok(["dossiers", "show", number, "--json"], day))


@pytest.fixture
def cli(tmp_path: Path, database_url: str) -> Cli:
    """Commands on SQLite and on PostgreSQL."""
    commands = Cli(env_for(tmp_path, database_url))
    commands.ok(["db", "upgrade"], OPENED)
    return commands


@pytest.fixture
def sqlite_cli(tmp_path: Path, sqlite_url: str) -> Cli:
    """Commands on SQLite only, for the slower scenarios."""
    commands = Cli(env_for(tmp_path, sqlite_url))
    commands.ok(["db", "upgrade"], OPENED)
    return commands


def test_payment_allocation_and_balance_in_show(cli: Cli, database_url: str, tmp_path: Path) -> None:
    number = seed_dossier(database_url, kind="business", claims=[CLAIM], opened_on=OPENED, debtor_name="Bouwbedrijf De Vries B.V.")
    cli.ok(["run", "--once"], OPENED)

    # Ingebrekestelling on Tuesday 01-12: BIK over 1.250 = 187,50, due from 01-12.
    # Payment 200,00 received 03-12. Interest 01-11 .. 03-12: 33 days at 10,40 %:
    #   1250 x 10,40 x 33 / 36500 = 11,753.. -> 11,75
    # Allocation: costs 187,50, interest 11,75, principal 0,75 -> principal 1.249,25.
    # On 04-12: 1 day over 1.249,25: 1249,25 x 10,40 / 36500 = 0,355.. -> 0,36
    # Balance 1.249,25 + 0,36 = 1.249,61.
    output = cli.ok(["payments", "add", number, "200,00", "--date", "2026-12-03"], date(2026, 12, 4))
    assert "Betaling van € 200,00 op 03-12-2026 geboekt" in output
    assert "Openstaand op 04-12-2026: € 1.249,61" in output

    detail = cli.show(number, date(2026, 12, 4))
    assert detail["balance_on"] == "2026-12-04"
    assert detail["interest"] == "12.11"
    assert detail["costs"] == "187.50"
    assert detail["paid"] == "200.00"
    assert detail["balance"] == "1249.61"
    assert detail["principal_open"] == "1249.25"
    assert detail["payments"] == [
        {"received_on": "2026-12-03", "amount": "200.00", "to_costs": "187.50", "to_interest": "11.75", "to_principal": "0.75", "overpaid": "0.00"}
    ]
    assert detail["track"]["state"] == "running"
    assert detail["track"]["phase"] == 1
    assert detail["track"]["deadline"] == "2026-12-08"
    # Existing keys are still there.
    assert detail["phase"] == 1
    assert detail["phase_deadline"] == "2026-12-08"
    assert detail["letters"][0]["kind"] == "ingebrekestelling"

    # The balance moves with the clock: on 08-12, 5 days over 1.249,25:
    #   1249,25 x 10,40 x 5 / 36500 = 1,779.. -> 1,78; balance 1.251,03.
    assert cli.show(number, date(2026, 12, 8))["balance"] == "1251.03"

    listing = json.loads(cli.ok(["payments", "list", number, "--json"], date(2026, 12, 4)))
    assert listing[0]["to_principal"] == "0.75"

    # Full payment closes the dossier and tells the client by e-mail.
    output = cli.ok(["payments", "add", number, "1.249,61", "--date", "2026-12-04"], date(2026, 12, 4))
    assert "volledig betaald en gesloten" in output
    closed = cli.show(number, date(2026, 12, 4))
    assert closed["status"] == "closed"
    assert closed["track"]["state"] == "closed"
    assert closed["balance"] == "0.00"
    client_mails = [item for item in closed["outbox"] if item["purpose"] == "client_paid"]
    assert len(client_mails) == 1
    assert client_mails[0]["recipients"] == ["boekhouding@leverancier.example"]
    assert client_mails[0]["subject"] == f"Dossier {number} is volledig betaald"

    # A closed dossier takes no more payments.
    refused = cli.run(["payments", "add", number, "10", "--date", "2026-12-04"], date(2026, 12, 4))
    assert refused.returncode == 1
    assert "is gesloten" in refused.stderr

    cli.ok(["run", "--once"], date(2026, 12, 4))
    mails = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted((tmp_path / "outbox" / "mail").glob("*.eml"))]
    paid_mail = [mail for mail in mails if str(mail["Subject"]).endswith("volledig betaald")]
    assert len(paid_mail) == 1
    body = paid_mail[0].get_content().replace("\u00a0", " ")
    assert "Bouwbedrijf De Vries B.V. heeft alles betaald" in body
    assert "Totaal ontvangen:  € 1.449,61" in body


def test_hold_pauses_and_lift_resumes_remaining_term(sqlite_cli: Cli, sqlite_url: str) -> None:
    cli, database_url = sqlite_cli, sqlite_url
    number = seed_dossier(database_url, kind="business", claims=[CLAIM], opened_on=OPENED)
    cli.ok(["run", "--once"], OPENED)  # ingebrekestelling 01-12, term to Tuesday 08-12

    output = cli.ok(["hold", "add", number, "--reason", "Opdrachtgever onderzoekt een creditnota"], date(2026, 12, 4))
    assert "staat stil vanaf 04-12-2026" in output
    paused = cli.show(number, date(2026, 12, 5))
    assert paused["track"]["state"] == "paused"
    assert paused["track"]["paused_by"] == ["staff"]
    assert paused["holds"][0]["lifted_on"] is None

    # The sweep sends nothing while paused, also after the original term end.
    cli.ok(["run", "--once"], date(2026, 12, 9))
    assert len(cli.show(number, date(2026, 12, 9))["letters"]) == 1

    # Lifted on Thursday 10-12 after 6 paused days: 08-12 + 6 = Monday 14-12.
    output = cli.ok(["hold", "lift", number, "--reason", "Creditnota niet van toepassing"], date(2026, 12, 10))
    assert "loopt weer vanaf 10-12-2026" in output
    resumed = cli.show(number, date(2026, 12, 10))
    assert resumed["track"]["state"] == "running"
    assert resumed["track"]["deadline"] == "2026-12-14"

    cli.ok(["run", "--once"], date(2026, 12, 14))
    assert len(cli.show(number, date(2026, 12, 14))["letters"]) == 1
    cli.ok(["run", "--once"], date(2026, 12, 15))
    letters = cli.show(number, date(2026, 12, 15))["letters"]
    assert [letter["kind"] for letter in letters] == ["ingebrekestelling", "sommatie"]

    not_paused = cli.run(["hold", "lift", number, "--reason", "x"], date(2026, 12, 15))
    assert not_paused.returncode == 1
    assert "staat niet stil" in not_paused.stderr


def test_dispute_and_call_outcome(sqlite_cli: Cli, sqlite_url: str) -> None:
    cli, database_url = sqlite_cli, sqlite_url
    number = seed_dossier(database_url, kind="business", claims=[CLAIM], opened_on=OPENED)
    cli.ok(["run", "--once"], OPENED)
    output = cli.ok(["dispute", number, "--reason", "Levering was onvolledig"], date(2026, 12, 2))
    assert "Betwisting vastgelegd" in output
    detail = cli.show(number, date(2026, 12, 2))
    assert detail["track"]["paused_by"] == ["dispute"]
    assert any(event["kind"] == "dispute_hold_added" for event in detail["events"])

    tasks = json.loads(cli.ok(["tasks", "list", "--json"], date(2026, 12, 2)))
    assert tasks == []
    bad = cli.run(["tasks", "done", "999", "--outcome", "reached"], date(2026, 12, 2))
    assert bad.returncode == 1
    assert "Taak 999 bestaat niet" in bad.stderr


def test_arrangement_breach_resumes_track(sqlite_cli: Cli, sqlite_url: str) -> None:
    cli, database_url = sqlite_cli, sqlite_url
    number = seed_dossier(database_url, kind="business", claims=[CLAIM], opened_on=OPENED)
    cli.ok(["run", "--once"], OPENED)
    # Agreed on Thursday 03-12: two instalments of 725 on 15-12 and 15-01, 5 grace days.
    output = cli.ok(["arrangement", "add", number, "--count", "2", "--amount", "725,00", "--first", "2026-12-15"], date(2026, 12, 3))
    assert "2 termijn(en), samen € 1.450,00" in output
    assert cli.show(number, date(2026, 12, 3))["track"]["paused_by"] == ["arrangement"]

    cli.ok(["payments", "add", number, "725,00", "--date", "2026-12-14"], date(2026, 12, 14))
    cli.ok(["run", "--once"], date(2027, 1, 20))
    assert cli.show(number, date(2027, 1, 20))["track"]["state"] == "paused"

    # Second instalment missed: breach on 21-01. The pause began on 03-12 with 6 days of
    # the term left (03-12 .. 08-12), so the term ends 08-12 + 49 paused days = 26-01-2027.
    cli.ok(["run", "--once"], date(2027, 1, 21))
    detail = cli.show(number, date(2027, 1, 21))
    assert detail["arrangements"][0]["status"] == "breached"
    assert detail["track"]["state"] == "running"
    assert detail["track"]["deadline"] == "2027-01-26"
    assert any(event["kind"] == "arrangement_breached" for event in detail["events"])
    cli.ok(["run", "--once"], date(2027, 1, 27))
    assert [letter["phase"] for letter in cli.show(number, date(2027, 1, 27))["letters"]] == [1, 2]


def test_debtor_and_terms_commands(sqlite_cli: Cli, sqlite_url: str) -> None:
    cli, database_url = sqlite_cli, sqlite_url
    number = seed_dossier(database_url, kind="business", claims=[CLAIM], opened_on=OPENED, debtor_email="debiteur@example.nl")
    output = cli.ok(["debtor", number, "--consumer", "ja", "--natural-person-nl", "ja"], OPENED)
    assert "consument, natuurlijk persoon in NL, geen akkoord met e-mail" in output
    # Now a consumer without e-mail consent: the 14-dagenbrief goes by post.
    detail = cli.show(number, OPENED)
    assert detail["letters"][0]["kind"] == "veertiendagenbrief"
    assert detail["letters"][0]["channel"] == "post"

    output = cli.ok(["terms", number, "--contract-rate", "12"], OPENED)
    assert "Afspraken van dossier" in output
    refused = cli.run(["terms", number, "--cost-clause", "150"], OPENED)
    assert refused.returncode == 1
    assert "Percentage 150 is ongeldig" in refused.stderr
    missing = cli.run(["payments", "add", "2026-999999-9", "10", "--date", "2026-12-01"], OPENED)
    assert missing.returncode == 1
    assert "niet gevonden" in missing.stderr
