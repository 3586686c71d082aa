"""Dossiernummers: `YYYY-NNNNNN-C`, unique, never reused, with a Damm check digit.

The Damm algorithm detects every single-digit error and every swap of two adjacent
digits, so a mistyped number in a reply or a payment reference is caught instead of
pointing at another dossier. The check digit covers the eight digits of year and
sequence.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dossiers.models import NumberCounter
from dossiers.sql import insert_ignoring_conflict

# The quasigroup of order 10 published by H. Michael Damm (2004), weakly totally
# anti-symmetric, row = interim digit, column = next digit.
_DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

SEQUENCE_DIGITS = 6
_LOOSE_NUMBER = re.compile(r"(?<!\d)(\d{4})\s*[-./ ]?\s*(\d{6})\s*[-./ ]?\s*(\d)(?!\d)")


class NumberExhausted(Exception):
    """All sequence numbers of a year are used up."""


def damm_check_digit(digits: str) -> int:
    interim = 0
    for char in digits:
        interim = _DAMM_TABLE[interim][int(char)]
    return interim


def format_number(year: int, sequence: int) -> str:
    body = f"{year:04d}{sequence:0{SEQUENCE_DIGITS}d}"
    return f"{year:04d}-{sequence:0{SEQUENCE_DIGITS}d}-{damm_check_digit(body)}"


def is_valid_number(text: str) -> bool:
    return parse_number(text) is not None


def parse_number(text: str) -> str | None:
    """Return the canonical dossiernummer in `text` if its check digit is right.

    Spacing and punctuation between the parts are tolerated ("2026 000123 5",
    "2026.000123.5", "20260001235"); a wrong check digit returns None.
    """
    match = _LOOSE_NUMBER.search(text)
    if match is None:
        return None
    year, sequence, check = match.groups()
    if damm_check_digit(year + sequence) != int(check):
        return None
    return f"{year}-{sequence}-{check}"


def find_numbers(text: str) -> list[str]:
    """Return every dossiernummer in `text` whose check digit is right, in order, once each."""
    found: list[str] = []
    for match in _LOOSE_NUMBER.finditer(text):
        year, sequence, check = match.groups()
        if damm_check_digit(year + sequence) == int(check):
            number = f"{year}-{sequence}-{check}"
            if number not in found:
                found.append(number)
    return found


def allocate_number(session: Session, year: int) -> str:
    """Issue the next dossiernummer of `year` inside the caller's transaction.

    The counter row is incremented with one UPDATE … RETURNING, which PostgreSQL
    serialises per row and SQLite per database, so two processes never get the same
    number. A number is "used" only when the caller's transaction commits; after a
    rollback the counter rolls back too, so no issued number is ever given out again.
    """
    statement = (
        update(NumberCounter)
        .where(NumberCounter.year == year)
        .values(last=NumberCounter.last + 1)
        .returning(NumberCounter.last)
    )
    sequence = session.execute(statement).scalar_one_or_none()
    if sequence is None:
        insert_ignoring_conflict(session, NumberCounter, {"year": year, "last": 0}, ["year"])
        sequence = session.execute(statement).scalar_one()
    if sequence >= 10**SEQUENCE_DIGITS:
        raise NumberExhausted(f"no dossiernummer left in {year}")
    return format_number(year, sequence)


def last_issued(session: Session, year: int) -> int:
    return session.execute(select(NumberCounter.last).where(NumberCounter.year == year)).scalar_one_or_none() or 0
