"""What a summons would add: griffierecht, the bailiff's fee and the salaris gemachtigde.

The aankondiging dagvaarding tells the debtor what a court case would cost on top of the
claim. Three dated tables in ``config/legal/``, each row with its source:

- ``court_fees.csv``: griffierecht at the kantonrechter by year, claim bracket and the
  claimant's category (only the claimant pays it; Wet griffierechten burgerlijke zaken
  art. 3-4). The bracket follows the claim as summoned: principal, interest and BIK.
- ``bailiff_fees.csv``: the Btag fee for serving a dagvaarding (art. 2 sub a), excl. VAT.
- ``salaris_gemachtigde.csv``: the liquidatietarief kanton, value per point by claim
  bracket. The estimate counts one point, the dagvaarding of an undefended case.

A table without an entry for the current year (or, for the liquidatietarief, older than
its two-yearly indexation) still gives the latest amount, with a Dutch note for staff.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from phases.legal_config import LEGAL_CONFIG_DIR, LegalConfigError
from phases.money import ZERO, format_euro

KANTON_LIMIT = Decimal("25000.00")  # money claims up to this amount go to the kantonrechter
SALARIS_POINTS_VERSTEK = 1
SALARIS_INDEXATION_YEARS = 2
VERIFIED = "verified-page"
CATEGORY_LABELS = {
    "niet_natuurlijk_persoon": "rechtspersoon of vennootschap",
    "natuurlijk_persoon": "natuurlijk persoon",
    "onvermogend": "onvermogende",
}


@dataclass(frozen=True)
class GriffierechtRow:
    year: int
    claim_above: Decimal
    claim_up_to: Decimal
    category: str
    amount: Decimal
    confidence: str


@dataclass(frozen=True)
class BailiffRow:
    valid_from: date
    amount: Decimal
    confidence: str


@dataclass(frozen=True)
class SalarisRow:
    valid_from: date
    claim_up_to: Decimal | None
    value_per_point: Decimal
    confidence: str


@dataclass(frozen=True)
class CourtCosts:
    """Estimated court costs for a claim of `claim_value`. Unknown amounts are None."""

    claim_value: Decimal
    claimant_category: str
    griffierecht: Decimal | None
    bailiff: Decimal | None
    salaris: Decimal | None
    points: int
    value_per_point: Decimal | None
    notes: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum((amount for amount in (self.griffierecht, self.bailiff, self.salaris) if amount is not None), ZERO)


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise LegalConfigError(f"cannot read {path}: {exc}") from exc


class CourtCostTables:
    def __init__(self, griffierecht: list[GriffierechtRow], bailiff: list[BailiffRow], salaris: list[SalarisRow]) -> None:
        if not griffierecht or not bailiff or not salaris:
            raise LegalConfigError("court cost tables must not be empty")
        self.griffierecht = griffierecht
        self.bailiff = sorted(bailiff, key=lambda row: row.valid_from)
        self.salaris = salaris

    @classmethod
    def load(cls, directory: Path = LEGAL_CONFIG_DIR) -> CourtCostTables:
        try:
            griffierecht = [
                GriffierechtRow(
                    int(row["year"]),
                    Decimal(row["claim_above_eur"]),
                    Decimal(row["claim_up_to_eur"]),
                    row["claimant_category"].strip(),
                    Decimal(row["amount_eur"]),
                    row["confidence"].strip(),
                )
                for row in _read_csv(directory / "court_fees.csv")
            ]
            bailiff = [
                BailiffRow(date.fromisoformat(row["valid_from"]), Decimal(row["amount_eur"]), row["confidence"].strip())
                for row in _read_csv(directory / "bailiff_fees.csv")
            ]
            salaris = [
                SalarisRow(
                    date.fromisoformat(row["valid_from"]),
                    Decimal(row["claim_up_to_eur"]) if row["claim_up_to_eur"].strip() else None,
                    Decimal(row["value_per_point_eur"]),
                    row["confidence"].strip(),
                )
                for row in _read_csv(directory / "salaris_gemachtigde.csv")
            ]
        except (KeyError, ValueError, InvalidOperation, AttributeError) as exc:
            raise LegalConfigError(f"{directory}: invalid court cost table: {exc!r}") from exc
        return cls(griffierecht, bailiff, salaris)

    def estimate(self, claim_value: Decimal, claimant_category: str, on: date) -> CourtCosts:
        """Estimate the costs of a summons issued on `on` for `claim_value`."""
        notes: list[str] = []
        if claimant_category not in CATEGORY_LABELS:
            raise ValueError(f"unknown claimant category {claimant_category!r}")

        griffierecht = self._griffierecht(claim_value, claimant_category, on, notes)
        bailiff = self._bailiff(on, notes)
        value_per_point = self._value_per_point(claim_value, on, notes)
        salaris = None if value_per_point is None else value_per_point * SALARIS_POINTS_VERSTEK
        return CourtCosts(
            claim_value=claim_value,
            claimant_category=claimant_category,
            griffierecht=griffierecht,
            bailiff=bailiff,
            salaris=salaris,
            points=SALARIS_POINTS_VERSTEK,
            value_per_point=value_per_point,
            notes=tuple(notes),
        )

    def _griffierecht(self, claim_value: Decimal, category: str, on: date, notes: list[str]) -> Decimal | None:
        if claim_value > KANTON_LIMIT:
            notes.append(
                f"De vordering van {format_euro(claim_value)} is hoger dan {format_euro(KANTON_LIMIT)}: "
                "zaak voor de rechtbank; het griffierecht staat niet in de tabel."
            )
            return None
        years = sorted({row.year for row in self.griffierecht if row.year <= on.year})
        if not years:
            notes.append(f"Geen griffierechttabel voor {on.year} of eerder.")
            return None
        year = years[-1]
        if year != on.year:
            notes.append(f"De griffierechttabel heeft geen bedragen voor {on.year}; de bedragen van {year} zijn gebruikt.")
        row = next(
            (
                row
                for row in self.griffierecht
                if row.year == year and row.category == category and row.claim_above < claim_value <= row.claim_up_to
            ),
            None,
        )
        if row is None and claim_value <= 0:
            row = next((r for r in self.griffierecht if r.year == year and r.category == category and r.claim_above == 0), None)
        if row is None:
            notes.append(f"Geen griffierecht gevonden voor {format_euro(claim_value)} in {year}.")
            return None
        if row.confidence != VERIFIED:
            notes.append(f"Het griffierecht {year} ({format_euro(row.amount)}) is niet in een officiële bron gecontroleerd.")
        return row.amount

    def _bailiff(self, on: date, notes: list[str]) -> Decimal | None:
        rows = [row for row in self.bailiff if row.valid_from <= on]
        if not rows:
            notes.append(f"Geen deurwaarderstarief bekend op {on:%d-%m-%Y}.")
            return None
        row = rows[-1]
        if row.valid_from.year != on.year:
            notes.append(
                f"De deurwaarderstabel heeft geen tarief voor {on.year}; het tarief vanaf {row.valid_from:%d-%m-%Y} is gebruikt."
            )
        if row.confidence != VERIFIED:
            notes.append(f"Het deurwaarderstarief vanaf {row.valid_from:%d-%m-%Y} is niet zeker ({row.confidence}).")
        return row.amount

    def _value_per_point(self, claim_value: Decimal, on: date, notes: list[str]) -> Decimal | None:
        starts = sorted({row.valid_from for row in self.salaris if row.valid_from <= on})
        if not starts:
            notes.append(f"Geen liquidatietarief bekend op {on:%d-%m-%Y}.")
            return None
        valid_from = starts[-1]
        if on >= valid_from.replace(year=valid_from.year + SALARIS_INDEXATION_YEARS):
            notes.append(
                f"Het liquidatietarief vanaf {valid_from:%d-%m-%Y} is mogelijk verouderd "
                f"(indexatie om de {SALARIS_INDEXATION_YEARS} jaar)."
            )
        rows = sorted(
            (row for row in self.salaris if row.valid_from == valid_from),
            key=lambda row: (row.claim_up_to is None, row.claim_up_to or ZERO),
        )
        for row in rows:
            if row.claim_up_to is None or claim_value <= row.claim_up_to:
                return row.value_per_point
        return None


@lru_cache(maxsize=1)
def default_court_cost_tables() -> CourtCostTables:
    return CourtCostTables.load()
