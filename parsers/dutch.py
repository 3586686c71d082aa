"""Dutch formats on invoices: amounts, dates, IBAN, KvK, btw-id and postcodes.

Pure functions on strings. Each `parse_*` returns None when the text is not
unambiguously a value of its kind, and each `find_*` scans a longer text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")

# Spaces that PDF extractors and mailers put inside amounts: no-break space, narrow
# no-break space, thin space and figure space.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " "})
_MINUS_SIGNS = ("-", "\u2212", "\u2013", "\u2014")  # hyphen, minus, en dash, em dash

# "€ 5,-" and "€ 5,–" mean five euros exactly.
_WHOLE_EUROS = re.compile(r"^(?P<int>[\d. ]+),\s*[-\u2013\u2014]{1,2}$")
_CURRENCY = re.compile(r"(?i)€|\beur\b|\beuro\b")
_NUMBER = re.compile(r"^\d+(?:[.,' ]\d+)*$")
_SPACE_GROUPS = re.compile(r"^\d{1,3}(?: \d{3})+(?:[.,]\d+)?$")


def parse_amount(text: str) -> Decimal | None:
    """Parse a money amount written the Dutch or the English way, with two decimals.

    Accepts "€ 1.234,56", "1234,56", "€ 5,-", "1,234.56", "€ 10 000,00", "EUR 12",
    "-€ 3,10" and "€ 3,10-". Returns None for anything else, including amounts with
    more than two decimals, so that a unit price or a percentage is never taken as money.
    """
    value = text.translate(_SPACES).strip()
    if not value:
        return None

    value = _CURRENCY.sub(" ", value).strip()
    negative = False
    if value.startswith(_MINUS_SIGNS) and not _WHOLE_EUROS.match(value):
        negative = True
        value = value[1:].strip()
        value = _CURRENCY.sub(" ", value).strip()
    elif value.endswith(_MINUS_SIGNS) and not _WHOLE_EUROS.match(value):
        negative = True
        value = value[:-1].strip()
    if value.startswith("(") and value.endswith(")"):
        negative = True
        value = value[1:-1].strip()

    whole = _WHOLE_EUROS.match(value)
    if whole:
        value = whole.group("int").strip()
        if "," in value:
            return None

    amount = _parse_number(value)
    if amount is None:
        return None
    return -amount if negative else amount


def _parse_number(value: str) -> Decimal | None:
    value = value.strip()
    if not _NUMBER.match(value):
        return None

    if " " in value:
        if not _SPACE_GROUPS.match(value):
            return None
        value = value.replace(" ", "")
    value = value.replace("'", "")

    commas = value.count(",")
    dots = value.count(".")
    if commas and dots:
        decimal_sep = "," if value.rfind(",") > value.rfind(".") else "."
    elif commas:
        decimal_sep = _single_separator_role(value, ",")
    elif dots:
        decimal_sep = _single_separator_role(value, ".")
    else:
        decimal_sep = ""

    thousands_sep = {",": ".", ".": ",", "": ",."}[decimal_sep]
    if decimal_sep:
        integer, _, fraction = value.rpartition(decimal_sep)
    else:
        integer, fraction = value, ""
    if not _valid_grouping(integer, thousands_sep):
        return None
    if decimal_sep and integer.count(decimal_sep):
        return None
    if len(fraction) > 2 or (decimal_sep and not fraction):
        return None

    digits = integer
    for sep in thousands_sep:
        digits = digits.replace(sep, "")
    try:
        number = Decimal(f"{digits or '0'}.{fraction or '0'}")
    except InvalidOperation:
        return None
    return number.quantize(CENT)


def _single_separator_role(value: str, sep: str) -> str:
    """Decide whether the only kind of separator in `value` is decimal or thousands."""
    if value.count(sep) > 1:
        return ""  # "1.234.567": only thousands
    fraction = value.rpartition(sep)[2]
    if len(fraction) == 3:
        return ""  # "1.234" (Dutch) or "1,234" (English): thousands
    return sep


def _valid_grouping(integer: str, thousands_seps: str) -> bool:
    used = [sep for sep in thousands_seps if sep in integer]
    if not used:
        return integer.isdigit() or integer == ""
    if len(used) > 1:
        return False
    groups = integer.split(used[0])
    if not groups[0] or len(groups[0]) > 3 or groups[0].startswith("0"):
        return False
    return all(len(group) == 3 and group.isdigit() for group in groups[1:])


@dataclass(frozen=True)
class FoundAmount:
    """An amount found inside a longer text, with its character span."""

    value: Decimal
    start: int
    end: int
    has_currency: bool


# A candidate amount: optional sign and currency, digits with separators, an optional
# ",-" ending. A space groups thousands only after a currency sign, because in a table
# row "1 289,00" is a quantity followed by a price.
_AMOUNT_IN_TEXT = re.compile(
    r"(?P<sign>[-\u2212]\s?)?"
    r"(?:(?P<cur>(?:€|EUR\b|eur\b)\s*)(?P<sign2>[-\u2212]\s?)?"
    r"(?P<spaced>\d{1,3}(?: \d{3})+(?:,(?:\d{1,2}|[-\u2013]{1,2}))?(?![\d.,]))?)?"
    r"(?(spaced)|(?P<num>\d{1,3}(?:\.\d{3})+(?:,(?:\d{1,2}|[-\u2013]{1,2}))?"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"
    r"|\d+(?:[.,](?:\d{1,2}|[-\u2013]{1,2}))?))"
    r"(?![\d%])"
)


def find_amounts(text: str) -> list[FoundAmount]:
    """Find every amount in `text`, left to right; percentages and dates are skipped."""
    normalised = text.translate(_SPACES)
    found: list[FoundAmount] = []
    for match in _AMOUNT_IN_TEXT.finditer(normalised):
        start, end = match.span()
        before = normalised[start - 1] if start else " "
        if before.isalnum() or before in "-/.":
            if not match.group("cur"):
                continue
        after = normalised[end : end + 1]
        number = match.group("num") or match.group("spaced") or ""
        if after and (after.isalpha() or after in "-/") and not number.endswith(("-", "\u2013")):
            continue
        value = parse_amount(match.group(0))
        if value is None:
            continue
        found.append(FoundAmount(value, start, end, bool(match.group("cur"))))
    return found


_MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "febr": 2, "february": 2,
    "maart": 3, "mrt": 3, "mar": 3, "march": 3, "mei": 5, "may": 5,
    "april": 4, "apr": 4,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "augustus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d.\-/])(?P<d>\d{1,2})(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d.\-/]\d)"),
    re.compile(rf"(?i)(?<![\w])(?P<d>\d{{1,2}})\.?\s*(?P<mn>{_MONTH_NAMES})\.?,?\s+(?P<y>\d{{4}})(?!\d)"),
    re.compile(rf"(?i)(?<![\w])(?P<mn>{_MONTH_NAMES})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d)"),
)


@dataclass(frozen=True)
class FoundDate:
    """A date found inside a longer text, with its character span."""

    value: date
    start: int
    end: int


def find_dates(text: str) -> list[FoundDate]:
    """Find every date in `text`, reading numeric dates day first (03-04-2024 is 3 April)."""
    normalised = text.translate(_SPACES)
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(normalised):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            value = _date_from_match(match)
            if value is None:
                continue
            taken.append(span)
            found.append(FoundDate(value, span[0], span[1]))
    return sorted(found, key=lambda item: item.start)


def parse_date(text: str) -> date | None:
    """Parse a text that is one date: "03-04-2024", "3 apr. 2024", "2024-04-03", "April 3, 2024"."""
    stripped = text.translate(_SPACES).strip().rstrip(".,;")
    found = find_dates(stripped)
    if len(found) != 1:
        return None
    only = found[0]
    rest = (stripped[: only.start] + stripped[only.end :]).strip(" ,.")
    if rest and not _is_weekday(rest):
        return None
    return only.value


_WEEKDAYS = {
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
    "ma", "di", "wo", "do", "vr", "za", "zo",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
}


def _is_weekday(text: str) -> bool:
    return text.lower().strip(" ,.") in _WEEKDAYS


def _date_from_match(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    if groups.get("mn"):
        month = _MONTHS.get(groups["mn"].lower())
    else:
        month = int(groups["m"])
    year = int(groups["y"])
    if year < 100:
        year += 2000
    if month is None:
        return None
    try:
        return date(year, month, int(groups["d"]))
    except ValueError:
        return None


# --- identifiers -------------------------------------------------------------------

# IBAN lengths of the countries whose accounts Dutch invoices print most; other
# countries are checked on mod 97 and the general length range only.
_IBAN_LENGTHS = {
    "NL": 18, "BE": 16, "DE": 22, "FR": 27, "LU": 20, "GB": 22, "IE": 22, "ES": 24,
    "IT": 27, "AT": 20, "CH": 21, "DK": 18, "SE": 24, "NO": 15, "FI": 18, "PT": 25,
    "PL": 28, "CZ": 24,
}
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_NL_BBAN = re.compile(r"^[A-Z]{4}\d{10}$")


def normalise_iban(text: str) -> str:
    """Return the IBAN without spaces, dots or dashes, in capitals."""
    return re.sub(r"[\s.\-]", "", text.translate(_SPACES)).upper()


def _mod97(text: str) -> int:
    digits = "".join(str(int(char, 36)) for char in text)
    return int(digits) % 97


def is_valid_iban(text: str) -> bool:
    """Check an IBAN: shape, known country length, the NL bank-code layout and ISO 7064 mod 97."""
    iban = normalise_iban(text)
    if not _IBAN_SHAPE.match(iban):
        return False
    country = iban[:2]
    expected_length = _IBAN_LENGTHS.get(country)
    if expected_length is not None and len(iban) != expected_length:
        return False
    if country == "NL" and not _NL_BBAN.match(iban[4:]):
        return False
    return _mod97(iban[4:] + iban[:4]) == 1


def normalise_kvk(text: str) -> str:
    """Return the KvK number with spaces and dots removed."""
    return re.sub(r"[\s.]", "", text.translate(_SPACES))


def is_valid_kvk(text: str) -> bool:
    """Check a KvK number: exactly 8 digits. KvK numbers carry no check digit."""
    return bool(re.fullmatch(r"\d{8}", normalise_kvk(text)))


def normalise_vat_id(text: str) -> str:
    """Return the btw-id without spaces and dots, in capitals ("NL 8104.33.941 B01" -> "NL810433941B01")."""
    return re.sub(r"[\s.\-]", "", text.translate(_SPACES)).upper()


def _elfproef(digits: str) -> bool:
    total = sum(int(digit) * weight for digit, weight in zip(digits[:8], range(9, 1, -1)))
    return (total - int(digits[8])) % 11 == 0


def is_valid_vat_id(text: str) -> bool:
    """Check a Dutch or Belgian VAT id; ids of other countries only by shape.

    A Dutch id is "NL" + 9 digits + "B" + 2 digits (not "00"), and it is valid when the
    9 digits pass the elfproef (the RSIN of a legal entity) or when ISO 7064 mod 97-10
    over the whole id is 1 (the numbers given to sole traders since 2020). A Belgian id
    is "BE" + 10 digits whose last two are 97 minus the first eight modulo 97.
    """
    vat = normalise_vat_id(text)
    nl = re.fullmatch(r"NL(\d{9})B(\d{2})", vat)
    if nl:
        if nl.group(2) == "00":
            return False
        return _elfproef(nl.group(1)) or _mod97(vat) == 1
    be = re.fullmatch(r"BE([01]\d{9})", vat)
    if be:
        digits = be.group(1)
        return 97 - int(digits[:8]) % 97 == int(digits[8:])
    if vat.startswith(("NL", "BE")):
        return False
    return bool(re.fullmatch(r"[A-Z]{2}[0-9A-Z]{8,12}", vat))


_POSTCODE = re.compile(r"^([1-9]\d{3})\s?([A-Za-z]{2})$")
_UNUSED_POSTCODE_LETTERS = {"SA", "SD", "SS"}


def normalise_postcode(text: str) -> str | None:
    """Return a Dutch postcode as "3511 AB", or None when it is not one.

    The four digits may not start with 0, and the letter pairs SA, SD and SS are not
    issued.
    """
    match = _POSTCODE.match(text.translate(_SPACES).strip())
    if not match:
        return None
    letters = match.group(2).upper()
    if letters in _UNUSED_POSTCODE_LETTERS:
        return None
    return f"{match.group(1)} {letters}"


# A postcode followed by a city on one line: "3511 AB UTRECHT", "3511AB Utrecht".
POSTCODE_CITY = re.compile(
    r"(?<![\dA-Za-z])(?P<postcode>[1-9]\d{3}\s?[A-Z]{2})(?![A-Za-z\d])[\s,]*(?P<city>[A-Za-zÀ-ÿ'][A-Za-zÀ-ÿ'\- .]*[A-Za-zÀ-ÿ.])?"
)


def format_city(text: str) -> str:
    """Return a city name in the case people write it: "UTRECHT" -> "Utrecht", "'S-HERTOGENBOSCH" -> "'s-Hertogenbosch"."""
    city = text.strip()
    if not city.isupper():
        return city
    words = []
    for word in re.split(r"(\s+|-)", city.lower()):
        if word in ("'s", "'t"):
            words.append(word)
        elif word in ("aan", "den", "de", "op", "van", "het", "en", "bij", "in", "a/d", "aan"):
            words.append(word)
        else:
            words.append(word[:1].upper() + word[1:])
    result = "".join(words)
    return result[:1].upper() + result[1:] if not result.startswith("'") else result
