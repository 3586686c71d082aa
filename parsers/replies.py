"""What a reply to one of our mails says: paid, dispute, arrangement, new address, withdrawal.

Works on the new text only: quoted earlier messages (lines starting with ">", and
everything below a "Op … schreef …:" line or an "Oorspronkelijk bericht" / "Original
Message" / "From:" separator) are cut off first. The result is a hint for staff, not a
decision: every intent found becomes a task, and a dispute or an arrangement request
also pauses the collection track until staff decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Horizontal space only around the line: with MULTILINE, "^\s*" would run on over every
# following empty line from each line start, which is quadratic in the number of lines.
_QUOTE_START = re.compile(
    r"^[ \t]*(op .{3,120}(schreef|wrote)[^\n]*:?[ \t]*$"
    r"|-{2,}\s*(oorspronkelijk bericht|original message|doorgestuurd bericht|forwarded message)\s*-{2,}"
    r"|(van|from):\s.+$)",
    re.IGNORECASE | re.MULTILINE,
)

# (intent, pattern). Patterns are Dutch first, with the common English forms.
_INTENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "withdrawn",
        re.compile(
            r"\b(trek(ken)? .{0,40}\bin|intrekken|ingetrokken|niet meer (nodig|innen)|stop(pen)? (de|met de) incasso|"
            r"zaak (is )?(opgelost|geregeld)|withdraw)",
            re.IGNORECASE,
        ),
    ),
    (
        "paid",
        re.compile(
            r"\b(al|reeds|inmiddels|gisteren|vandaag)\b.{0,40}\b(betaald|overgemaakt|voldaan|gestort)\b|"
            r"\b(heb|hebben|is|zijn|werd|wordt)\b.{0,30}\b(betaald|overgemaakt|voldaan)\b|betaalbewijs|"
            r"\bhas been paid\b|\bpaid (already|in full)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "dispute",
        re.compile(
            r"\b(niet (mee )?eens|betwist(en)?|bezwaar|klopt niet|onterecht|onjuist|ten onrechte|"
            r"niet besteld|nooit (ontvangen|geleverd|besteld)|ondeugdelijk|klacht over|dispute)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "arrangement",
        re.compile(
            r"\b(betalingsregeling|regeling treffen|in (termijnen|delen|gedeelten)|gespreid betalen|"
            r"afbetal(en|ing)|per maand (betalen|aflossen)|uitstel van betaling|payment plan)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "address_change",
        re.compile(r"\b(nieuw adres|ander adres|verhuisd|adreswijziging|new address)\b", re.IGNORECASE),
    ),
)


@dataclass(frozen=True)
class ReplyIntents:
    """The intents found in a reply's new text, in a stable order, with the matched words."""

    intents: tuple[str, ...]
    evidence: dict[str, str]

    @property
    def pauses_track(self) -> bool:
        """A dispute, an arrangement request, a payment claim or a withdrawal stops letters."""
        return bool({"dispute", "arrangement", "paid", "withdrawn"} & set(self.intents))


def new_text(body: str) -> str:
    """Return the part of a reply above the quoted earlier message."""
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    text = "\n".join(lines)
    match = _QUOTE_START.search(text)
    return text[: match.start()] if match else text


# Characters of the new text searched for intents; what a person writes above a quote is short.
MAX_REPLY_CHARS = 20_000


def classify_reply(body: str, subject: str = "") -> ReplyIntents:
    """Find the intents in the subject and the new text of a reply (its first MAX_REPLY_CHARS characters)."""
    text = f"{subject[:1000]}\n{new_text(body)[:MAX_REPLY_CHARS]}"
    intents: list[str] = []
    evidence: dict[str, str] = {}
    for intent, pattern in _INTENT_PATTERNS:
        match = pattern.search(text)
        if match:
            intents.append(intent)
            evidence[intent] = match.group(0).strip()[:80]
    return ReplyIntents(tuple(intents), evidence)
