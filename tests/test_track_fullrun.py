"""A business and a consumer dossier through the whole track, one `incasso run --once`
per day with INCASSO_TODAY stepped from 1 December 2026 to 8 January 2027.

Every letter is checked for its date, its term, its amounts and its text (pdftotext).
Interest: handelsrente 10,40 % (from 2026-07-01) for the business, wettelijke rente 4 %
(from 2026-01-01) for the consumer; days / 365, each period rounded to cents.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import run_cli
from test_track_support import SeedClaim, pdf_lines, seed_dossier

from daemon.clock import AMSTERDAM

START = date(2026, 12, 1)  # Tuesday
END = date(2027, 1, 8)

# Day -> (dossier, phase) of the letters the sweep must issue that day; no other day issues one.
BUSINESS_LETTERS = {
    date(2026, 12, 1): 1,  # ingebrekestelling, 7 days -> Tuesday 08-12
    date(2026, 12, 9): 2,  # sommatie, 5 days -> Monday 14-12
    date(2026, 12, 15): 3,  # aankondiging, 5 days -> Sunday 20-12 -> Monday 21-12
}
CONSUMER_LETTERS = {
    date(2026, 12, 1): 1,  # 14-dagenbrief; receipt Thursday 03-12; 03-12 + 14 = Thursday 17-12
    date(2026, 12, 18): 2,  # sommatie (Friday); receipt Tuesday 22-12; +5 = Sunday 27-12 -> Monday 28-12
    date(2026, 12, 29): 3,  # aankondiging; receipt Thursday 31-12; +5 = Tuesday 05-01-2027
}


def text_of(path: Path) -> str:
    return " ".join(pdf_lines(path))


class Run:
    def __init__(self, env: dict[str, str], outbox: Path) -> None:
        self.env = env
        self.outbox = outbox

    def cli(self, args: list[str], day: date) -> subprocess.CompletedProcess[str]:
        result = run_cli(args, {**self.env, "INCASSO_TODAY": day.isoformat()})
        assert result.returncode == 0, (args, day, result.stderr)
        return result

    def show(self, number: str, day: date) -> dict[str, Any]:
        return json.loads(self.cli(["dossiers", "show", number, "--json"], day).stdout)

    def letters(self) -> list[Path]:
        return sorted((self.outbox / "post").glob("*.pdf"))

    def letter(self, title: str, number: str) -> Path:
        matches = [path for path in self.letters() if title in path.name and path.name.endswith(f"{number}.pdf")]
        assert len(matches) == 1, (title, number, [path.name for path in self.letters()])
        return matches[0]


@pytest.mark.slow
def test_full_run_business_and_consumer(tmp_path: Path, sqlite_url: str) -> None:
    env = {
        "INCASSO_DATABASE_URL": sqlite_url,
        "INCASSO_MAILDIR": str(tmp_path / "maildir"),
        "INCASSO_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    run = Run(env, tmp_path / "outbox")
    run.cli(["db", "upgrade"], START)
    business = seed_dossier(
        sqlite_url,
        kind="business",
        claims=[SeedClaim("F-100", date(2026, 10, 1), date(2026, 10, 31), Decimal("1250.00"))],
        opened_on=START,
        debtor_name="Bouwbedrijf De Vries B.V.",
    )
    consumer = seed_dossier(
        sqlite_url,
        kind="consumer",
        claims=[
            SeedClaim("C-1", date(2026, 9, 15), date(2026, 10, 15), Decimal("300.00")),
            SeedClaim("C-2", date(2026, 10, 1), date(2026, 11, 1), Decimal("450.00")),
        ],
        opened_on=START,
        debtor_name="J. de Jong",
    )

    issued: list[tuple[date, str, int]] = []
    day = START
    while day <= END:
        before = len(run.letters())
        run.cli(["run", "--once"], day)
        if day == date(2026, 12, 10):
            # The consumer pays 100,00 within the 14 days (money arrived 09-12).
            run.cli(["payments", "add", consumer, "100,00", "--date", "2026-12-09"], day)
        if day == date(2027, 1, 4):
            run.cli(["consent", business, "--note", "Akkoord per e-mail"], day)
        new = run.letters()[before:]
        for path in new:
            number = business if path.name.endswith(f"{business}.pdf") else consumer
            detail = run.show(number, day)
            issued.append((day, number, detail["letters"][-1]["phase"]))
        day += timedelta(days=1)

    expected = sorted(
        [(when, business, phase) for when, phase in BUSINESS_LETTERS.items()]
        + [(when, consumer, phase) for when, phase in CONSUMER_LETTERS.items()]
    )
    assert sorted(issued) == expected

    check_business(run, business)
    check_consumer(run, consumer)


def check_business(run: Run, number: str) -> None:
    detail = run.show(number, END)
    letters = {letter["phase"]: letter for letter in detail["letters"]}
    assert {phase: (letters[phase]["issued_on"], letters[phase]["deadline"]) for phase in letters} == {
        1: ("2026-12-01", "2026-12-08"),
        2: ("2026-12-09", "2026-12-14"),
        3: ("2026-12-15", "2026-12-21"),
    }
    # Phase 1 on 01-12: interest 01-11 .. 01-12, 31 days: 1250 x 10,40 x 31 / 36500 = 11,041.. -> 11,04
    #   BIK 15 % x 1.250 = 187,50; total 1.250 + 11,04 + 187,50 = 1.448,54
    # Phase 2 on 09-12: 39 days: 1250 x 10,40 x 39 / 36500 = 13,890.. -> 13,89; total 1.451,39
    # Phase 3 on 15-12: 45 days: 1250 x 10,40 x 45 / 36500 = 16,027.. -> 16,03; total 1.453,53
    assert [letters[phase]["total"] for phase in (1, 2, 3)] == ["1448.54", "1451.39", "1453.53"]
    assert [letters[phase]["costs"] for phase in (1, 2, 3)] == ["187.50", "187.50", "187.50"]

    first = text_of(run.letter("Ingebrekestelling", number))
    for expected in (
        "Datum 1 december 2026",
        "Bouwbedrijf De Vries B.V.",
        "Wettelijke handelsrente van 01-11-2026 t/m 01-12-2026 € 11,04",
        "01-11-2026 t/m 01-12-2026: 31 dagen × 10,40 % per jaar over € 1.250,00 € 11,04",
        "Buitengerechtelijke incassokosten € 187,50",
        "Totaal te betalen € 1.448,54",
        "Uiterlijk op 8 december 2026",
        f"Betalingskenmerk {number}",
    ):
        assert expected in first, expected

    second = text_of(run.letter("Sommatie", number))
    assert "Op 1 december 2026 hebben wij u namens onze opdrachtgever Leverancier B.V. in gebreke gesteld." in second
    assert "Totaal te betalen € 1.451,39" in second
    assert "Laatste aanmaning: betaal uiterlijk 14 december 2026" in second

    # Court costs for a claim of 1.453,53 by a company in 2026: griffierecht 350 (500-1.500),
    # Btag 112,37 (latest known, 2024), liquidatietarief bracket up to 2.500: 204 per point.
    # 350 + 112,37 + 204 = 666,37.
    third = text_of(run.letter("Aankondiging_dagvaarding", number))
    for expected in (
        "Totaal te betalen € 1.453,53",
        "Aankondiging dagvaarding: betaal uiterlijk 21 december 2026",
        "€ 350,00",
        "Kosten van de deurwaarder voor het uitbrengen van de dagvaarding € 112,37",
        "Salaris gemachtigde (1 punt × € 204,00) € 204,00",
        "Mogelijke extra kosten € 666,37",
        "Onze opdrachtgever beslist daarover.",
    ):
        assert expected in third, expected

    # The phase-3 call task, the wait for consent from 22-12, phase 4 after consent on 04-01.
    tasks = {task["kind"]: task for task in detail["tasks"]}
    assert tasks["call"]["phase"] == 3
    assert tasks["call"]["status"] == "open"
    assert tasks["court_consent"]["status"] == "done"
    assert tasks["court_procedure"]["status"] == "open"
    assert detail["phase"] == 4
    assert detail["track"]["state"] == "court"
    waiting = [event for event in detail["events"] if event["kind"] == "waiting_for_consent"]
    assert len(waiting) == 1
    # Event moments are stored in UTC; the day that counts is the one in Amsterdam.
    assert datetime.fromisoformat(waiting[0]["at"]).astimezone(AMSTERDAM).date() == date(2026, 12, 22)


def check_consumer(run: Run, number: str) -> None:
    detail = run.show(number, END)
    letters = {letter["phase"]: letter for letter in detail["letters"]}
    assert {phase: (letters[phase]["kind"], letters[phase]["issued_on"], letters[phase]["deadline"]) for phase in letters} == {
        1: ("veertiendagenbrief", "2026-12-01", "2026-12-17"),
        2: ("sommatie", "2026-12-18", "2026-12-28"),
        3: ("aankondiging_dagvaarding", "2026-12-29", "2027-01-05"),
    }
    # 14-dagenbrief on 01-12, consumer rate 4 %:
    #   C-1 300 from 16-10, 47 days: 300 x 4 x 47 / 36500 = 1,545.. -> 1,55
    #   C-2 450 from 02-11, 30 days: 450 x 4 x 30 / 36500 = 1,479.. -> 1,48
    #   now due 753,03; announced BIK 15 % x 750 = 112,50; after the term 865,53.
    first = text_of(run.letter("Aanmaning_14-dagenbrief", number))
    for expected in (
        "Datum 1 december 2026",
        "Wettelijke rente van 16-10-2026 t/m 01-12-2026 € 1,55",
        "Wettelijke rente van 02-11-2026 t/m 01-12-2026 € 1,48",
        "Nu te betalen € 753,03",
        "Betaal € 753,03 binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd.",
        "Wij gaan ervan uit dat deze brief op 3 december 2026 bij u wordt bezorgd.",
        "uiterlijk op 17 december 2026 op onze rekening staan",
        "Die kosten zijn € 112,50.",
        "U moet dan in totaal € 865,53 betalen",
        "schuldhulpverlening",
    ):
        assert expected in first, expected
    assert "na dagtekening" not in first
    assert letters[1]["costs"] == "112.50"
    assert letters[1]["total"] == "753.03"

    # Payment 100,00 on 09-12: interest first (C-1 55 days 300 x 4 x 55 / 36500 = 1,808.. -> 1,81;
    # C-2 38 days 450 x 4 x 38 / 36500 = 1,873.. -> 1,87; together 3,68), then 96,32 principal of
    # the older C-1 -> 203,68 open. At the term end (17-12) the principal open is 653,68, so the
    # BIK is 15 % x 653,68 = 98,052 -> 98,05, not the 112,50 announced (HR 2016:2704).
    # Sommatie on 18-12: C-1 1,81 + 10-12 .. 18-12, 9 days over 203,68: 0,200.. -> 0,20;
    #   C-2 02-11 .. 18-12, 47 days: 450 x 4 x 47 / 36500 = 2,317.. -> 2,32.
    #   Total 750 + 4,33 + 98,05 - 100 = 752,38.
    second = text_of(run.letter("Sommatie", number))
    for expected in (
        "Buitengerechtelijke incassokosten € 98,05",
        "Betaling ontvangen op 09-12-2026 € -100,00",
        "Verrekend met: kosten € 0,00, rente € 3,68, hoofdsom € 96,32",
        "10-12-2026 t/m 18-12-2026: 9 dagen × 4,00 % per jaar over € 203,68 € 0,20",
        "02-11-2026 t/m 18-12-2026: 47 dagen × 4,00 % per jaar over € 450,00 € 2,32",
        "Totaal te betalen € 752,38",
        "Op 1 december 2026 hebben wij u namens onze opdrachtgever Leverancier B.V. een brief gestuurd.",
    ):
        assert expected in second, expected
    assert letters[2]["total"] == "752.38"
    assert letters[2]["costs"] == "98.05"

    # Aankondiging on 29-12: C-1 1,81 + 20 days over 203,68: 0,446.. -> 0,45;
    #   C-2 58 days: 450 x 4 x 58 / 36500 = 2,860.. -> 2,86. Total 750 + 5,12 + 98,05 - 100 = 753,17.
    #   Court costs for 753,17 by a company in 2026: griffierecht 350, Btag 112,37, salaris
    #   135 (bracket up to 1.250): 597,37.
    third = text_of(run.letter("Aankondiging_dagvaarding", number))
    assert "Totaal te betalen € 753,17" in third
    assert "Mogelijke extra kosten € 597,37" in third
    assert "Daarom proberen wij u de komende dagen te bellen." in third

    assert detail["track"]["state"] == "waiting_consent"
    assert detail["balance_on"] == END.isoformat()
    call = next(task for task in detail["tasks"] if task["kind"] == "call")
    assert "07:00 tot 20:00" in call["note"]
