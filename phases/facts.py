"""Facts about a dossier that the collection track decides on.

Plain frozen dataclasses with no database types, so the phase engine and the letter
contexts stay pure functions. `dossiers.ledger.load_facts` builds them from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

DebtorKind = Literal["business", "consumer"]
Channel = Literal["post", "email"]
PauseKind = Literal["dispute", "arrangement", "staff"]

# Categories of the claimant for the griffierecht (Wet griffierechten burgerlijke zaken).
CLAIMANT_CATEGORIES = ("niet_natuurlijk_persoon", "natuurlijk_persoon", "onvermogend")


@dataclass(frozen=True)
class DebtorProfile:
    """The two independent facts that drive the rules for a debtor.

    `consumer`: a natural person not acting in a profession or business. Switches on the
    14-dagenbrief (art. 6:96 lid 6 BW), the mandatory BIK scale, the consumer interest
    rate (art. 6:119 BW) and the small-instalment cumulation rule.
    `natural_person_nl`: a natural person domiciled in the Netherlands, including a sole
    trader or a v.o.f. partner. Switches on the Wki/Bki quality rules: contact times and
    the pointer to municipal debt help in letters.
    `email_consent`: the debtor agreed to receive letters by e-mail. A consumer gets
    letters by e-mail only with this consent.
    """

    consumer: bool
    natural_person_nl: bool
    email_consent: bool = False

    @classmethod
    def for_kind(cls, kind: str) -> DebtorProfile:
        """Return the default profile for a debtor kind from intake."""
        if kind == "consumer":
            return cls(consumer=True, natural_person_nl=True)
        return cls(consumer=False, natural_person_nl=False)


@dataclass(frozen=True)
class Claim:
    """One unpaid invoice.

    `principal` is the amount the client handed over for collection. `basis` is the
    origin of the claim as the letter shows it, for example ``"levering van een
    cv-ketel"``; it may be empty.
    """

    invoice_number: str
    invoice_date: date
    due_date: date
    principal: Decimal
    basis: str = ""


@dataclass(frozen=True)
class SentLetter:
    """A phase letter issued on `sent_on` through `channel`.

    `costs` is the BIK (with VAT) the letter stated: for a 14-dagenbrief the amount it
    announced, which later letters may not exceed.
    """

    phase: int
    channel: Channel
    sent_on: date
    kind: str = ""
    costs: Decimal | None = None


@dataclass(frozen=True)
class Payment:
    """Money that arrived on `received_on` (the value date, not the booking by staff)."""

    received_on: date
    amount: Decimal


@dataclass(frozen=True)
class Pause:
    """A hold that stops the clock from `start` up to, not including, `end`.

    `end` is the day the hold was lifted, or None while it lasts.
    """

    kind: PauseKind
    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class Arrangement:
    """A payment arrangement (betalingsregeling) agreed on `agreed_on`.

    The debtor is in breach when, `grace_days` after an instalment's due date, the
    payments received since `agreed_on` are less than the instalments due so far.
    `ended_on` is set when staff cancelled the arrangement.
    """

    agreed_on: date
    instalments: tuple[Instalment, ...]
    grace_days: int
    ended_on: date | None = None


@dataclass(frozen=True)
class Terms:
    """Per-dossier agreements that change the amounts.

    `contract_rate_percent`: interest agreed in the client's general terms, per year.
    Against a business it replaces the statutory rate (art. 6:119a lid 8 BW); against a
    consumer it applies only where it is higher (art. 6:119 lid 3 BW).
    `cost_clause_percent`: a collection-cost clause agreed with a business debtor, as a
    percentage of the principal. Ignored for consumers (art. 6:96 lid 5 BW).
    `instalment_claims`: the claims are instalments or periodic amounts of one agreement,
    for the small-instalment cumulation rule.
    `default_on`: the day a consumer debtor went into default (verzuim), when staff know
    it; otherwise the day after each due date (art. 6:83 sub a BW: a fixed term).
    `vat_on_costs`: the client declared it cannot deduct VAT, so VAT may be added to the
    BIK (Besluit BIK art. 2 lid 3).
    """

    contract_rate_percent: Decimal | None = None
    cost_clause_percent: Decimal | None = None
    instalment_claims: bool = False
    default_on: date | None = None
    claimant_category: str = "niet_natuurlijk_persoon"
    vat_on_costs: bool = False


@dataclass(frozen=True)
class DossierFacts:
    """The facts of one dossier that the phase engine decides on."""

    dossier_number: str
    debtor_kind: DebtorKind
    claims: tuple[Claim, ...]
    letters: tuple[SentLetter, ...] = ()
    is_open: bool = True
    payments: tuple[Payment, ...] = ()
    pauses: tuple[Pause, ...] = ()
    arrangements: tuple[Arrangement, ...] = ()
    court_consent_on: date | None = None
    terms: Terms = field(default_factory=Terms)
    profile: DebtorProfile | None = None
    debtor_has_email: bool = False

    @property
    def debtor(self) -> DebtorProfile:
        return self.profile or DebtorProfile.for_kind(self.debtor_kind)

    @property
    def is_consumer(self) -> bool:
        return self.debtor.consumer

    @property
    def total_principal(self) -> Decimal:
        return sum((claim.principal for claim in self.claims), Decimal("0.00"))

    def letters_of_phase(self, phase: int) -> tuple[SentLetter, ...]:
        return tuple(letter for letter in self.letters if letter.phase == phase)

    def first_letter_of_phase(self, phase: int) -> SentLetter | None:
        letters = self.letters_of_phase(phase)
        return min(letters, key=lambda letter: letter.sent_on) if letters else None

    @property
    def last_phase(self) -> int:
        return max((letter.phase for letter in self.letters), default=0)
