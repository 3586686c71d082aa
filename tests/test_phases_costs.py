"""Collection costs per dossier, court cost estimates and the assumed receipt of letters."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from phases.account import account, announced_costs
from phases.calendar import default_calendar
from phases.costs import CumulationRule, cumulation_cap, dossier_costs
from phases.court_costs import CourtCostTables
from phases.facts import Claim, DossierFacts, SentLetter, Terms
from phases.legal_config import LegalConfigError
from phases.rates import RateTable
from phases.track_config import TrackConfig

RULE = CumulationRule(date(2024, 10, 1), Decimal("266.67"), Decimal("140.00"), 6)


def d(text: str) -> date:
    return date.fromisoformat(text)


def facts(kind: str = "business", claims: tuple[Claim, ...] = (), **terms: object) -> DossierFacts:
    return DossierFacts("2026-000009", kind, claims or (Claim("F", d("2026-01-01"), d("2026-01-31"), Decimal("5000.00")),), terms=Terms(**terms))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rates() -> RateTable:
    return RateTable.load()


def test_business_cost_clause_replaces_scale() -> None:
    # 15 % of 5.000 = 750,00 instead of the scale's 625,00, with a note for staff.
    decision = dossier_costs(facts(cost_clause_percent=Decimal("15")), Decimal("5000.00"))
    assert decision.method == "beding"
    assert decision.result.amount == Decimal("750.00")
    assert "matigen" in decision.notes[0]
    # The € 40 minimum holds against a clause: 15 % of 100 = 15 -> 40.
    assert dossier_costs(facts(cost_clause_percent=Decimal("15")), Decimal("100.00")).result.amount == Decimal("40.00")
    # VAT on top when the client cannot deduct it: 750 x 21 % = 157,50.
    with_vat = dossier_costs(facts(cost_clause_percent=Decimal("15"), vat_on_costs=True), Decimal("5000.00"))
    assert with_vat.result.total == Decimal("907.50")


def test_consumer_ignores_cost_clause() -> None:
    decision = dossier_costs(facts("consumer", cost_clause_percent=Decimal("15")), Decimal("5000.00"))
    assert decision.method == "staffel"
    assert decision.result.amount == Decimal("625.00")


def instalments(count: int, amount: str, first_month: int = 1) -> tuple[Claim, ...]:
    return tuple(
        Claim(f"T{index}", d(f"2025-{first_month + index:02d}-01"), d(f"2025-{first_month + index:02d}-15"), Decimal(amount))
        for index in range(count)
    )


def test_cumulation_cap_for_small_instalments() -> None:
    # 12 monthly instalments of 250 in 2025: sum 3.000 -> scale 425,00. Due dates span two
    # six-month windows from 15-01 (15-01..14-07 and 15-07..), so the cap is 2 x 140 = 280.
    claims = instalments(12, "250.00")
    assert cumulation_cap(claims, RULE) == Decimal("280.00")
    decision = dossier_costs(facts("consumer", claims, instalment_claims=True), Decimal("3000.00"), cumulation=RULE)
    assert decision.method == "staffel_cumulatie"
    assert decision.result.amount == Decimal("280.00")
    # Six instalments of 100 (one window): scale 90,00 is below the 140 cap.
    six = instalments(6, "100.00")
    assert cumulation_cap(six, RULE) == Decimal("140.00")
    assert dossier_costs(facts("consumer", six, instalment_claims=True), Decimal("600.00"), cumulation=RULE).result.amount == Decimal("90.00")


def test_cumulation_does_not_apply() -> None:
    # An instalment of 266,67 or more, a business debtor, or claims before 2024-10-01.
    assert cumulation_cap(instalments(3, "266.67"), RULE) is None
    early = tuple(Claim(f"T{i}", d("2024-0%d-01" % (i + 1)), d("2024-0%d-15" % (i + 1)), Decimal("100")) for i in range(3))
    assert cumulation_cap(early, RULE) is None
    claims = instalments(12, "250.00")
    assert dossier_costs(facts("business", claims, instalment_claims=True), Decimal("3000.00"), cumulation=RULE).result.amount == Decimal("425.00")


def test_business_costs_recomputed_after_a_year(rates: RateTable) -> None:
    # 10.000 due 2025-01-31; ingebrekestelling 2025-03-03 -> BIK over 10.000 = 875,00.
    # Year 1 of interest (2025-02-01 .. 2026-01-31), handelsrente:
    #   150 d x 11,15 %: 10000 x 11,15 x 150 / 36500 = 458,219.. -> 458,22
    #   184 d x 10,15 %: 10000 x 10,15 x 184 / 36500 = 511,671.. -> 511,67
    #    31 d x 10,15 %: 10000 x 10,15 x 31 / 36500 = 86,205.. -> 86,21
    #   capitalised 1.056,10 on 2026-02-01.
    # New base 11.056,10: 875 + 1 % x 1.056,10 = 885,561 -> 885,56; the extra 10,56 is due 2026-02-01.
    claim = Claim("F", d("2025-01-01"), d("2025-01-31"), Decimal("10000.00"))
    sent = DossierFacts("2025-000001", "business", (claim,), letters=(SentLetter(1, "post", d("2025-03-03")),))
    result = account(sent, d("2026-03-01"), rates, default_calendar(), TrackConfig())
    costs = result.balance.costs
    assert [(item.due_on, item.amount) for item in costs] == [(d("2025-03-03"), Decimal("875.00")), (d("2026-02-01"), Decimal("10.56"))]
    assert result.balance.costs_due == Decimal("885.56")
    assert result.cost_base == Decimal("10000.00")


def test_consumer_costs_never_exceed_announced(rates: RateTable) -> None:
    # The 14-dagenbrief announced 75,00 (15 % of 500). Costs due after the term equal it;
    # a year later the recomputation over principal + capitalised interest is capped at 75,00.
    claim = Claim("F", d("2025-01-01"), d("2025-01-31"), Decimal("500.00"))
    sent = DossierFacts("2025-000002", "consumer", (claim,), letters=(SentLetter(1, "post", d("2025-03-03"), "", Decimal("75.00")),))
    assert announced_costs(DossierFacts("x", "consumer", (claim,)), d("2025-03-03"), rates).result.amount == Decimal("75.00")
    later = account(sent, d("2026-06-01"), rates, default_calendar(), TrackConfig())
    assert later.balance.costs_due == Decimal("75.00")
    assert later.balance.capitalised > 0


@pytest.fixture(scope="module")
def tables() -> CourtCostTables:
    return CourtCostTables.load()


def test_court_costs_2024_claim_bracket(tables: CourtCostTables) -> None:
    # 2024, claim 1.200 by a company: griffierecht 328 (500-1.500), Btag 112,37,
    # liquidatietarief 1.250 bracket: 135 per point, 1 point.
    estimate = tables.estimate(Decimal("1200.00"), "niet_natuurlijk_persoon", d("2024-06-03"))
    assert estimate.griffierecht == Decimal("328")
    assert estimate.bailiff == Decimal("112.37")
    assert estimate.salaris == Decimal("135")
    assert estimate.total == Decimal("575.37")
    assert estimate.notes == ()


def test_court_costs_category_and_brackets(tables: CourtCostTables) -> None:
    assert tables.estimate(Decimal("1200.00"), "natuurlijk_persoon", d("2024-06-03")).griffierecht == Decimal("218")
    assert tables.estimate(Decimal("1500.00"), "niet_natuurlijk_persoon", d("2024-06-03")).griffierecht == Decimal("328")
    assert tables.estimate(Decimal("1500.01"), "niet_natuurlijk_persoon", d("2024-06-03")).griffierecht == Decimal("372")


def test_court_costs_warn_without_current_year(tables: CourtCostTables) -> None:
    # 2025: no griffierecht row (2024 used); Btag of 2024; both noted. 2026: griffierecht
    # unverified, liquidatietarief due for indexation on 2026-02-01.
    in_2025 = tables.estimate(Decimal("800.00"), "niet_natuurlijk_persoon", d("2025-05-01"))
    assert in_2025.griffierecht == Decimal("328")
    assert any("geen bedragen voor 2025" in note for note in in_2025.notes)
    assert any("deurwaarderstabel heeft geen tarief voor 2025" in note for note in in_2025.notes)

    in_2026 = tables.estimate(Decimal("800.00"), "niet_natuurlijk_persoon", d("2026-12-04"))
    assert in_2026.griffierecht == Decimal("350")
    assert any("niet in een officiële bron" in note for note in in_2026.notes)
    assert any("liquidatietarief" in note for note in in_2026.notes)


def test_court_costs_above_kanton_limit(tables: CourtCostTables) -> None:
    estimate = tables.estimate(Decimal("30000.00"), "niet_natuurlijk_persoon", d("2024-06-03"))
    assert estimate.griffierecht is None
    assert any("rechtbank" in note for note in estimate.notes)
    assert estimate.salaris == Decimal("543")


@pytest.mark.parametrize(
    ("sent_on", "channel", "expected"),
    [
        # Tuesday: Wednesday (1), Thursday (2).
        ("2026-12-01", "post", "2026-12-03"),
        # Friday: Saturday (1); Sunday and Monday do not count; Tuesday (2).
        ("2026-12-04", "post", "2026-12-08"),
        # Thursday before Easter 2026: Good Friday 03-04 is an Atw day, Saturday (1), Easter
        # Sunday and Easter Monday skipped, Tuesday 07-04 (2).
        ("2026-04-02", "post", "2026-04-07"),
        # Monday before Koningsdag 2027 (Tuesday 27-04): Wednesday (1), Thursday 29-04 (2).
        ("2027-04-26", "post", "2027-04-29"),
        # Christmas Eve 2026 (Thursday): 25-12 and 26-12 holidays, Sunday, Monday skipped,
        # Tuesday 29-12 (1), Wednesday 30-12 (2).
        ("2026-12-24", "post", "2026-12-30"),
        # E-mail: the next day without a contact ban. Christmas Eve -> Monday 28-12.
        ("2026-12-24", "email", "2026-12-28"),
        ("2026-12-04", "email", "2026-12-05"),
    ],
)
def test_assumed_receipt(sent_on: str, channel: str, expected: str) -> None:
    assert TrackConfig.load().assumed_receipt(d(sent_on), channel, default_calendar()) == d(expected)  # type: ignore[arg-type]


def test_track_config_rejects_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "track.toml"
    path.write_text(
        '[receipt.post]\ndays_after_posting = 0\nskip_weekdays = ["sunday"]\nskip_atw_holidays = true\n'
        "[receipt.email]\ncontact_days_after_issue = 1\n[arrangement]\ngrace_days = 5\n[letters]\nworking_days_only = true\n",
        encoding="utf-8",
    )
    with pytest.raises(LegalConfigError, match="at least 1"):
        TrackConfig.load(path)
    path.write_text(path.read_text(encoding="utf-8").replace('["sunday"]', '["zondag"]').replace("= 0", "= 2"), encoding="utf-8")
    with pytest.raises(LegalConfigError, match="invalid track settings"):
        TrackConfig.load(path)
