"""Facts about a dossier that the collection track decides on.

Plain frozen dataclasses with no database types, so the phase engine and the letter
contexts stay pure functions. The `dossiers` package builds them from its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

DebtorKind = Literal["business", "consumer"]
Channel = Literal["post", "email"]


@dataclass(frozen=True)
class Claim:
    """One unpaid invoice.

    `basis` is the origin of the claim as the letter shows it to the debtor, for example
    ``"levering en installatie van een cv-ketel"``. It may be empty.
    """

    invoice_number: str
    invoice_date: date
    due_date: date
    principal: Decimal
    basis: str = ""


@dataclass(frozen=True)
class SentLetter:
    """A phase letter that went out on `sent_on` through `channel`."""

    phase: int
    channel: Channel
    sent_on: date


@dataclass(frozen=True)
class DossierFacts:
    """The facts of one dossier that the phase engine decides on."""

    dossier_number: str
    debtor_kind: DebtorKind
    claims: tuple[Claim, ...]
    letters: tuple[SentLetter, ...] = ()
    is_open: bool = True

    @property
    def total_principal(self) -> Decimal:
        return sum((claim.principal for claim in self.claims), Decimal("0.00"))

    def letters_of_phase(self, phase: int) -> tuple[SentLetter, ...]:
        return tuple(letter for letter in self.letters if letter.phase == phase)
