"""Fictitious Dutch identifiers in valid formats: IBAN, KvK, BTW-id, postcode, phone.

Every value is drawn from a caller's `random.Random`, so a seeded generator gives the
same identifiers on every run. The validators beside the generators let tests check
the generated values against the same rules a parser applies.
"""

from __future__ import annotations

import random
import re

# Banks whose codes appear in example IBANs; the account digits are random.
BANK_CODES: tuple[str, ...] = ("ABNA", "INGB", "RABO", "TRIO")

# Letters drawn for postcodes. F, I, O, Q, U and Y are left out because Dutch
# postcodes are generally said not to use them (an unverified rule, kept to be safe).
POSTCODE_LETTERS = "ABCEGHJKLMNPRSTVWXZ"
FORBIDDEN_POSTCODE_PAIRS = frozenset({"SA", "SD", "SS"})

_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BTW_RE = re.compile(r"^NL([0-9]{9})B([0-9]{2})$")
_POSTCODE_RE = re.compile(r"^[1-9][0-9]{3} [A-Z]{2}$")

# Weights of the elfproef for the 9 digits of a BTW-id (the RSIN-style check).
_ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def _iban_digits(text: str) -> int:
    """Return `text` as the integer the mod-97 check works on (A=10 ... Z=35)."""
    return int("".join(str(int(char, 36)) for char in text))


def iban_check_digits(country: str, bban: str) -> str:
    """Compute the two IBAN check digits for `country` and `bban` (ISO 13616)."""
    remainder = _iban_digits(bban + country + "00") % 97
    return f"{98 - remainder:02d}"


def is_valid_iban(iban: str) -> bool:
    """Return True if `iban` (spaces allowed) has a valid structure and mod-97 check."""
    compact = iban.replace(" ", "").upper()
    if not _IBAN_RE.match(compact):
        return False
    return _iban_digits(compact[4:] + compact[:4]) % 97 == 1


def make_iban(rng: random.Random) -> str:
    """Draw a Dutch IBAN in compact form: bank code, 10 random digits, computed check."""
    bank = rng.choice(BANK_CODES)
    account = f"{rng.randrange(10**10):010d}"
    bban = bank + account
    return f"NL{iban_check_digits('NL', bban)}{bban}"


def format_iban(iban: str) -> str:
    """Group a compact IBAN in blocks of four, as printed on invoices."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def make_kvk(rng: random.Random) -> str:
    """Draw an 8-digit KvK number that does not start with 0."""
    return f"{rng.randint(1, 9)}{rng.randrange(10**7):07d}"


def passes_elfproef(digits: str) -> bool:
    """Return True if 9 digits pass the elfproef with weights 9..2 and -1."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits, _ELFPROEF_WEIGHTS))
    return total % 11 == 0


def make_vat_id(rng: random.Random) -> str:
    """Draw a BTW-id `NL#########B01` whose 9 digits pass the elfproef."""
    while True:
        head = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        check = sum(d * w for d, w in zip(head, _ELFPROEF_WEIGHTS)) % 11
        if check < 10:
            digits = "".join(map(str, head)) + str(check)
            return f"NL{digits}B01"


def is_valid_vat_id(vat_id: str) -> bool:
    """Return True if `vat_id` is `NL` + 9 digits passing the elfproef + `B` + 2 digits."""
    match = _BTW_RE.match(vat_id)
    if match is None:
        return False
    return passes_elfproef(match.group(1))


def make_postcode(rng: random.Random) -> str:
    """Draw a postcode `1234 AB` without a leading 0 and without SA, SD or SS."""
    while True:
        letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
        if letters not in FORBIDDEN_POSTCODE_PAIRS:
            return f"{rng.randint(1000, 9999)} {letters}"


def is_valid_postcode(postcode: str) -> bool:
    """Return True if `postcode` follows the generator's rules: `1234 AB`, no SA/SD/SS.

    It also rejects the letters the generator leaves out, so it is stricter than a
    parser of real postcodes should be.
    """
    if not _POSTCODE_RE.match(postcode):
        return False
    letters = postcode[-2:]
    return letters not in FORBIDDEN_POSTCODE_PAIRS and all(
        char in POSTCODE_LETTERS for char in letters
    )


def make_landline(rng: random.Random, area_code: str) -> str:
    """Draw a landline number in the written form `020 123 4567` for `area_code`."""
    local_length = 10 - len(area_code)
    local = f"{rng.randint(2, 9)}{rng.randrange(10 ** (local_length - 1)):0{local_length - 1}d}"
    if local_length == 7:
        return f"{area_code} {local[:3]} {local[3:]}"
    return f"{area_code} {local[:2]} {local[2:4]} {local[4:]}"


def make_mobile(rng: random.Random) -> str:
    """Draw a mobile number in the written form `06 12345678`."""
    return f"06 {rng.randint(1, 6)}{rng.randrange(10**7):07d}"
