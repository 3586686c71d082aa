"""`incasso calc bik|interest`: the staff calculator through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon_helpers import run_cli


@pytest.fixture
def env(tmp_path: Path, sqlite_url: str) -> dict[str, str]:
    return {
        "INCASSO_DATABASE_URL": sqlite_url,
        "INCASSO_MAILDIR": str(tmp_path / "maildir"),
        "INCASSO_OUTBOX_DIR": str(tmp_path / "outbox"),
        "INCASSO_TODAY": "2026-12-04",
        "INCASSO_SECRET_KEY": "track-test-secret-0123456789abcdef0123456789",
    }


def calc_json(args: list[str], env: dict[str, str]) -> object:
    result = run_cli(["calc", *args, "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("amount", "vat", "expected"),
    [
        ("2500", False, {"bik": "375.00", "vat": "0.00", "total": "375.00"}),
        ("100", False, {"bik": "40.00", "vat": "0.00", "total": "40.00"}),
        ("100", True, {"bik": "40.00", "vat": "8.40", "total": "48.40"}),
        ("12.000,00", True, {"bik": "895.00", "vat": "187.95", "total": "1082.95"}),
        ("2000000", False, {"bik": "6775.00", "vat": "0.00", "total": "6775.00"}),
    ],
)
def test_calc_bik_json(env: dict[str, str], amount: str, vat: bool, expected: dict[str, str]) -> None:
    args = ["bik", amount, *(["--vat"] if vat else [])]
    assert calc_json(args, env) == expected


def test_calc_interest_json(env: dict[str, str]) -> None:
    # 1.000 handelsrente 2024-01-01 .. 2025-01-31:
    #   182 d x 12,50 %: 1000 x 12,50 x 182 / 36500 = 62,328.. -> 62,33
    #   184 d x 12,25 %: 1000 x 12,25 x 184 / 36500 = 61,753.. -> 61,75
    #   compounded on 2025-01-01: base 1.124,08
    #    31 d x 11,15 %: 1124,08 x 11,15 x 31 / 36500 = 10,644.. -> 10,64
    result = calc_json(["interest", "--kind", "commercial", "--principal", "1000", "--from", "2024-01-01", "--to", "2025-01-31"], env)
    assert result == {
        "interest": "134.72",
        "periods": [
            {"from": "2024-01-01", "to": "2024-06-30", "rate": "12.50", "days": 182, "base": "1000.00", "interest": "62.33"},
            {"from": "2024-07-01", "to": "2024-12-31", "rate": "12.25", "days": 184, "base": "1000.00", "interest": "61.75"},
            {"from": "2025-01-01", "to": "2025-01-31", "rate": "11.15", "days": 31, "base": "1124.08", "interest": "10.64"},
        ],
    }


def test_calc_interest_consumer_text(env: dict[str, str]) -> None:
    # 1.000 wettelijke rente 2023-05-01 .. 2023-07-31:
    #   61 d x 4 %: 1000 x 4 x 61 / 36500 = 6,684.. -> 6,68
    #   31 d x 6 %: 1000 x 6 x 31 / 36500 = 5,095.. -> 5,10
    result = run_cli(["calc", "interest", "--kind", "consumer", "--principal", "1.000,00", "--from", "2023-05-01", "--to", "2023-07-31"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Wettelijke rente (art. 6:119 BW) over € 1.000,00 van 01-05-2023 t/m 31-07-2023:"
    assert "  01-05-2023 t/m 30-06-2023: 61 dagen x 4,00 % over € 1.000,00 = € 6,68" in lines
    assert "  01-07-2023 t/m 31-07-2023: 31 dagen x 6,00 % over € 1.000,00 = € 5,10" in lines
    assert lines[-1].startswith("Totaal rente: € 11,78")


def test_calc_bik_text(env: dict[str, str]) -> None:
    result = run_cli(["calc", "bik", "3000"], env)
    assert result.returncode == 0, result.stderr
    assert "€ 425,00" in result.stdout
    assert "Btw" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bik", "twaalf"], "'twaalf' is geen bedrag"),
        (["interest", "--kind", "commercial", "--principal", "100", "--from", "2026-02-01", "--to", "2026-01-01"], "--to ligt voor --from"),
        (["interest", "--kind", "commercial", "--principal", "100", "--from", "1990-01-01", "--to", "1990-02-01"], "geen rentetarief bekend"),
    ],
)
def test_calc_rejects_bad_input(env: dict[str, str], args: list[str], message: str) -> None:
    result = run_cli(["calc", *args], env)
    assert result.returncode == 1
    assert message in result.stderr


def test_calc_warns_when_rate_table_is_stale(env: dict[str, str]) -> None:
    # The table's last commercial row is 2026-07-01; a period into 2027 lacks its half year.
    result = run_cli(["calc", "interest", "--kind", "commercial", "--principal", "100", "--from", "2026-12-01", "--to", "2027-02-01", "--json"], env)
    assert result.returncode == 0
    assert "geen handelsrente voor het halfjaar vanaf 01-01-2027" in result.stderr
    assert json.loads(result.stdout)["periods"][0]["rate"] == "10.40"
