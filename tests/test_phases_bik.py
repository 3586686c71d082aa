from decimal import Decimal
from pathlib import Path

import pytest

from phases.bik import bik, load_bik_scale
from phases.legal_config import LegalConfigError

# Principal, BIK, BIK + 21 % VAT. Arithmetic by the staffel of Besluit BIK art. 2:
# 15 % of the first 2.500, 10 % of the next 2.500, 5 % of the next 5.000,
# 1 % of the next 190.000, 0,5 % above; minimum 40, maximum 6.775.
BIK_CASES = [
    # 15 % x 100 = 15,00 -> minimum 40,00; VAT 40 x 0,21 = 8,40
    ("100.00", "40.00", "48.40"),
    # 15 % x 267 = 40,05; VAT 40,05 x 0,21 = 8,4105 -> 8,41
    ("267.00", "40.05", "48.46"),
    # 15 % x 2.500 = 375; VAT 78,75
    ("2500.00", "375.00", "453.75"),
    # 375 + 10 % x 500 = 425; VAT 89,25
    ("3000.00", "425.00", "514.25"),
    # 375 + 250 + 250 + 1 % x 2.000 = 895; VAT 187,95
    ("12000.00", "895.00", "1082.95"),
    # 375 + 250 + 250 + 1.900 + 0,5 % x 50.000 = 3.025; VAT 635,25
    ("250000.00", "3025.00", "3660.25"),
    # 2.775 + 0,5 % x 800.000 = 6.775 = the maximum; VAT 1.422,75
    ("1000000.00", "6775.00", "8197.75"),
    # 2.775 + 0,5 % x 1.800.000 = 11.775 -> maximum 6.775
    ("2000000.00", "6775.00", "8197.75"),
    # 375 + 250 + 250 + 1 % x 0 = 875 (top of the 5 % slice); VAT 183,75
    ("10000.00", "875.00", "1058.75"),
    # 0 -> minimum 40
    ("0.00", "40.00", "48.40"),
    # 15 % x 266,67 = 40,0005 -> 40,00 after rounding to cents
    ("266.67", "40.00", "48.40"),
    # 375 + 250 + 250 + 1 % x 1,01 = 875,0101 -> 875,01
    ("10001.01", "875.01", "1058.76"),
]


@pytest.mark.parametrize(("principal", "amount", "total_with_vat"), BIK_CASES)
def test_bik_scale_without_vat(principal: str, amount: str, total_with_vat: str) -> None:
    result = bik(Decimal(principal))
    assert result.amount == Decimal(amount)
    assert result.vat == Decimal("0.00")
    assert result.total == Decimal(amount)


@pytest.mark.parametrize(("principal", "amount", "total_with_vat"), BIK_CASES)
def test_bik_scale_with_vat(principal: str, amount: str, total_with_vat: str) -> None:
    result = bik(Decimal(principal), vat_rate=Decimal("21"))
    assert result.amount == Decimal(amount)
    assert result.vat == Decimal(total_with_vat) - Decimal(amount)
    assert result.total == Decimal(total_with_vat)


def test_bik_rejects_negative_and_float() -> None:
    with pytest.raises(ValueError):
        bik(Decimal("-1"))
    with pytest.raises(TypeError):
        bik(100.0)  # type: ignore[arg-type]


def test_bik_scale_file_matches_besluit() -> None:
    scale = load_bik_scale()
    assert [item.rate_percent for item in scale.slices] == [Decimal(x) for x in ("15", "10", "5", "1", "0.5")]
    assert [item.up_to for item in scale.slices] == [Decimal(x) for x in ("2500", "5000", "10000", "200000")] + [None]
    assert scale.minimum == Decimal("40")
    assert scale.maximum == Decimal("6775")
    assert scale.vat_rate_percent == Decimal("21")


def test_bik_scale_rejects_unordered_slices(tmp_path: Path) -> None:
    path = tmp_path / "bik.toml"
    path.write_text(
        'minimum_eur = "40"\nmaximum_eur = "6775"\n'
        '[[slices]]\nup_to_eur = "5000"\nrate_percent = "15"\n'
        '[[slices]]\nup_to_eur = "2500"\nrate_percent = "10"\n'
        '[[slices]]\nrate_percent = "1"\n'
        '[vat]\nrate_percent = "21"\n'
    )
    with pytest.raises(LegalConfigError):
        load_bik_scale(path)
