from datetime import date
from decimal import Decimal

import pytest

from phases.facts import Claim, DossierFacts
from phases.letters import AgencyInfo, ClientInfo, DebtorInfo, ingebrekestelling_context
from phases.rates import RateEntry, RateTable

AGENCY = AgencyInfo("Incasso B.V.", "Markt 1", "1234 AB", "Zwolle", "038 000 0000", "info@incasso.example", "NL91ABNA0417164300", "87654321")
CLIENT = ClientInfo("Leverancier B.V.")
DEBTOR = DebtorInfo("Afnemer B.V.", "Laan 2", "5678 CD", "Breda")


@pytest.fixture(scope="module")
def rates() -> RateTable:
    return RateTable.load()


def build(claims: tuple[Claim, ...], rates: RateTable, today: date = date(2025, 3, 3), client: ClientInfo = CLIENT) -> dict:
    facts = DossierFacts("2025-000042", "business", claims)
    return ingebrekestelling_context(facts, today=today, agency=AGENCY, client=client, debtor=DEBTOR, rates=rates)


def test_context_amounts(rates: RateTable) -> None:
    claims = (
        Claim("2024-100", date(2024, 6, 1), date(2024, 6, 30), Decimal("2000.00"), "onderhoud installatie"),
        Claim("2024-200", date(2024, 12, 1), date(2024, 12, 31), Decimal("1000.00")),
    )
    context = build(claims, rates)

    first, second = context["claims"]
    # 2000 from 2024-07-01 through 2025-03-03:
    #   2024-07-01..12-31: 184 days at 12,25 %: 2000 x 12,25 x 184 / 36500 = 123,5068.. -> 123,51
    #   2025-01-01..03-03:  62 days at 11,15 %: 2000 x 11,15 x 62 / 36500 = 37,8794.. -> 37,88
    assert [(p["days"], p["rate_percent"], p["amount"]) for p in first["interest_periods"]] == [
        (184, Decimal("12.25"), Decimal("123.51")),
        (62, Decimal("11.15"), Decimal("37.88")),
    ]
    assert first["interest_start"] == date(2024, 7, 1)
    assert first["interest_total"] == Decimal("161.39")
    assert first["total"] == Decimal("2161.39")
    assert first["basis"] == "onderhoud installatie"
    # 1000 from 2025-01-01 through 2025-03-03: 62 days at 11,15 %: 1000 x 11,15 x 62 / 36500 = 18,9397.. -> 18,94
    assert second["interest_start"] == date(2025, 1, 1)
    assert second["interest_total"] == Decimal("18.94")

    # BIK over the summed principal 3000: 375 + 10 % x 500 = 425 (not 300 + 150 per invoice).
    assert context["bik"]["base"] == Decimal("3000.00")
    assert context["bik"]["amount"] == Decimal("425.00")
    assert context["bik"]["vat"] == Decimal("0.00")
    assert context["bik"]["vat_rate"] is None

    totals = context["totals"]
    assert totals["principal"] == Decimal("3000.00")
    assert totals["interest"] == Decimal("180.33")
    assert totals["costs"] == Decimal("425.00")
    assert totals["paid"] == Decimal("0.00")
    assert totals["total"] == Decimal("3605.33")
    assert context["payment"]["amount"] == Decimal("3605.33")
    assert context["payment"]["reference"] == "2025-000042"
    assert context["payment"]["iban"] == "NL91ABNA0417164300"
    assert context["interest"]["compounded"] is False


def test_context_compounds_after_full_year(rates: RateTable) -> None:
    # Due 2024-01-31: interest from 2024-02-01; the first year ends 2025-01-31.
    #   2024-02-01..06-30: 151 days at 12,50 %: 1000 x 12,50 x 151 / 36500 = 51,7123.. -> 51,71
    #   2024-07-01..12-31: 184 days at 12,25 %: 1000 x 12,25 x 184 / 36500 = 61,7534.. -> 61,75
    #   2025-01-01..01-31:  31 days at 11,15 %: 1000 x 11,15 x 31 / 36500 = 9,4698.. -> 9,47
    #   year total 122,93 -> base 1.122,93 from 2025-02-01
    #   2025-02-01..03-03:  31 days at 11,15 %: 1122,93 x 11,15 x 31 / 36500 = 10,6342.. -> 10,63
    claim = Claim("2024-001", date(2024, 1, 1), date(2024, 1, 31), Decimal("1000.00"))
    context = build((claim,), rates)
    item = context["claims"][0]
    assert [p["amount"] for p in item["interest_periods"]] == [
        Decimal("51.71"), Decimal("61.75"), Decimal("9.47"), Decimal("10.63")
    ]
    assert item["interest_periods"][-1]["base"] == Decimal("1122.93")
    assert item["interest_capitalised"] == Decimal("122.93")
    assert item["interest_total"] == Decimal("133.56")
    assert context["interest"]["compounded"] is True


def test_context_dates(rates: RateTable) -> None:
    claim = Claim("1", date(2025, 1, 1), date(2025, 2, 1), Decimal("100.00"))
    # Monday 2025-04-21 (Tweede Paasdag) + 7 = Monday 2025-04-28, a working day.
    context = build((claim,), rates, today=date(2025, 4, 21))
    assert context["letter"]["date"] == date(2025, 4, 21)
    assert context["letter"]["term_end"] == date(2025, 4, 28)
    assert context["payment"]["pay_by"] == date(2025, 4, 28)
    # Friday 2025-05-23 + 7 = Friday 2025-05-30, a gelijkgestelde dag -> Monday 2025-06-02.
    context = build((claim,), rates, today=date(2025, 5, 23))
    assert context["letter"]["term_end"] == date(2025, 6, 2)


def test_context_vat_only_when_client_cannot_deduct(rates: RateTable) -> None:
    claim = Claim("1", date(2025, 1, 1), date(2025, 2, 1), Decimal("3000.00"))
    context = build((claim,), rates, client=ClientInfo("Zorgpraktijk", cannot_deduct_vat=True))
    # 425 x 21 % = 89,25
    assert context["bik"]["vat"] == Decimal("89.25")
    assert context["bik"]["total"] == Decimal("514.25")
    assert context["bik"]["vat_rate"] == Decimal("21")
    assert context["totals"]["costs"] == Decimal("514.25")


def test_context_review_notes_for_unverified_rates(rates: RateTable) -> None:
    claim = Claim("1", date(2026, 8, 1), date(2026, 9, 1), Decimal("100.00"))
    context = build((claim,), rates, today=date(2026, 12, 4))
    notes = context["review_notes"]
    assert any("10,40" in note and "01-07-2026" in note for note in notes)


def test_context_review_note_for_stale_table() -> None:
    table = RateTable(
        [
            RateEntry("commercial", date(2024, 1, 1), Decimal("12.5"), "verified-page", "test"),
            RateEntry("consumer", date(2024, 1, 1), Decimal("7"), "verified-page", "test"),
        ]
    )
    claim = Claim("1", date(2024, 8, 1), date(2024, 9, 1), Decimal("100.00"))
    context = build((claim,), table, today=date(2024, 9, 10))
    assert any("rentetabel" in note for note in context["review_notes"])


def test_context_rejects_consumer(rates: RateTable) -> None:
    facts = DossierFacts("2025-000043", "consumer", (Claim("1", date(2025, 1, 1), date(2025, 2, 1), Decimal("10")),))
    with pytest.raises(ValueError):
        ingebrekestelling_context(facts, today=date(2025, 3, 3), agency=AGENCY, client=CLIENT, debtor=DEBTOR, rates=rates)
