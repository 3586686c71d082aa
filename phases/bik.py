"""Buitengerechtelijke incassokosten (BIK) by the scale of the Besluit BIK, art. 2.

The scale, minimum, maximum and VAT rate come from ``config/legal/bik_scale.toml``. The
Besluit gives no rounding rule: the amount is computed exactly, bounded by the minimum and
maximum, and rounded to cents once (ROUND_HALF_UP). The VAT is rounded to cents separately.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from phases.legal_config import LEGAL_CONFIG_DIR, LegalConfigError
from phases.money import ZERO, to_cents

DEFAULT_BIK_FILE = LEGAL_CONFIG_DIR / "bik_scale.toml"


@dataclass(frozen=True)
class BikSlice:
    """A part of the principal up to `up_to` (None = no upper end) with its rate."""

    up_to: Decimal | None
    rate_percent: Decimal


@dataclass(frozen=True)
class BikScale:
    """The staffel with its minimum and maximum, and the general VAT rate."""

    slices: tuple[BikSlice, ...]
    minimum: Decimal
    maximum: Decimal
    vat_rate_percent: Decimal


@dataclass(frozen=True)
class BikResult:
    """BIK `amount`, the VAT surcharge `vat` (zero unless allowed) and their `total`."""

    amount: Decimal
    vat: Decimal
    total: Decimal


def load_bik_scale(path: Path = DEFAULT_BIK_FILE) -> BikScale:
    """Read and check the BIK scale file."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        slices = tuple(
            BikSlice(
                up_to=Decimal(item["up_to_eur"]) if "up_to_eur" in item else None,
                rate_percent=Decimal(item["rate_percent"]),
            )
            for item in data["slices"]
        )
        scale = BikScale(
            slices=slices,
            minimum=Decimal(data["minimum_eur"]),
            maximum=Decimal(data["maximum_eur"]),
            vat_rate_percent=Decimal(data["vat"]["rate_percent"]),
        )
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LegalConfigError(f"cannot read BIK scale {path}: {exc}") from exc
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise LegalConfigError(f"{path}: invalid BIK scale: {exc!r}") from exc

    _check_slices(slices, path)
    return scale


def _check_slices(slices: tuple[BikSlice, ...], path: Path) -> None:
    if not slices or slices[-1].up_to is not None:
        raise LegalConfigError(f"{path}: the last BIK slice must have no up_to_eur")

    previous = Decimal(0)
    for item in slices[:-1]:
        if item.up_to is None or item.up_to <= previous:
            raise LegalConfigError(f"{path}: BIK slices must have ascending up_to_eur values")
        previous = item.up_to


@lru_cache(maxsize=1)
def default_bik_scale() -> BikScale:
    return load_bik_scale()


def bik(principal: Decimal, *, vat_rate: Decimal | None = None, scale: BikScale | None = None) -> BikResult:
    """Compute the BIK over `principal` (the summed hoofdsom of the claims).

    `vat_rate` is the VAT percentage to add, for example ``Decimal("21")``. Pass it only
    when the client has declared that it cannot deduct VAT (Besluit BIK art. 2 lid 3);
    `None` means no VAT. The surcharge also applies to the € 40 minimum.
    """
    if not isinstance(principal, Decimal):
        raise TypeError(f"principal must be a Decimal, got {type(principal).__name__}")
    if principal < 0:
        raise ValueError(f"principal must not be negative, got {principal}")
    if vat_rate is not None and vat_rate < 0:
        raise ValueError(f"vat_rate must not be negative, got {vat_rate}")

    scale = scale or default_bik_scale()

    raw = ZERO
    lower = ZERO
    for item in scale.slices:
        upper = principal if item.up_to is None else min(principal, item.up_to)
        if upper > lower:
            raw += (upper - lower) * item.rate_percent / 100
        if item.up_to is None or principal <= item.up_to:
            break
        lower = item.up_to

    amount = to_cents(min(max(raw, scale.minimum), scale.maximum))
    vat = ZERO if vat_rate is None else to_cents(amount * vat_rate / 100)
    return BikResult(amount=amount, vat=vat, total=amount + vat)
