"""Checks on the client across sources: the sender's domain and what corrections taught.

A claim mailed from a domain that is not the seller's (its e-mail address or website on
the invoice) may be someone else's invoice, forwarded or spoofed, so the client's
values lose their confidence. Values staff confirmed for this client before fill the
gaps the document leaves, and a document value that contradicts them goes to review.
"""

from __future__ import annotations

import re
from dataclasses import replace

from parsers.model import ClientHints, Field, Party, Problem

# Confidence of a client value confirmed by staff corrections of earlier invoices.
HINT_CONFIDENCE = 0.9
# Confidence left to a client value when the sender's domain is not the seller's.
MISMATCH_CONFIDENCE = 0.6

# Mail providers whose addresses say nothing about the company using them.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.nl", "outlook.com", "outlook.nl", "live.com", "live.nl",
    "msn.com", "yahoo.com", "yahoo.nl", "icloud.com", "me.com", "ziggo.nl", "kpnmail.nl", "planet.nl", "home.nl",
    "xs4all.nl", "hetnet.nl", "casema.nl", "chello.nl", "upcmail.nl", "tele2.nl", "online.nl", "zeelandnet.nl",
    "proton.me", "protonmail.com", "gmx.net", "gmx.com", "web.de",
})
# Anchored at the start of a run and bounded, so a long run of word characters without
# an "@" is scanned once instead of once per start position (which was quadratic).
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]{1,64}@([\w\-]{1,63}(?:\.[\w\-]{1,63})+)")
_WEBSITE = re.compile(r"(?:https?://|\bwww\.)([\w\-]+(?:\.[\w\-]+)+)", re.IGNORECASE)
_CLIENT_IDENTITY = ("name", "kvk", "vat_id", "iban")


def document_domains(text: str) -> tuple[str, ...]:
    """Return the e-mail and website domains printed in a document, lower-cased, without "www."."""
    found: list[str] = []
    for pattern in (_EMAIL, _WEBSITE):
        for match in pattern.finditer(text):
            domain = match.group(1).lower().rstrip(".").removeprefix("www.")
            if domain not in found:
                found.append(domain)
    return tuple(found)


def same_organisation(first: str, second: str) -> bool:
    """Tell whether two domains belong to one organisation ("mail.bakker.nl" and "bakker.nl")."""
    first, second = first.lower().removeprefix("www."), second.lower().removeprefix("www.")
    if first == second or first.endswith("." + second) or second.endswith("." + first):
        return True
    return first.split(".")[-2:] == second.split(".")[-2:]


def check_sender_domain(client: Party, from_address: str, domains: tuple[str, ...]) -> tuple[Party, list[Problem]]:
    """Lower the client's identity when the mail comes from a domain the invoice does not print.

    No check is made when the invoice prints no domain, or when the sender uses a
    public mail provider.
    """
    if "@" not in from_address or not domains:
        return client, []
    sender = from_address.rsplit("@", 1)[1].lower()
    if sender in FREE_MAIL_DOMAINS or any(same_organisation(sender, domain) for domain in domains):
        return client, []

    shown = ", ".join(domains[:3])
    note = f"afzenderdomein {sender} hoort niet bij de verkoper op de factuur ({shown})"
    changes = {
        name: replace(value, confidence=min(value.confidence, MISMATCH_CONFIDENCE), note=note)
        for name in _CLIENT_IDENTITY
        if (value := getattr(client, name)).present
    }
    message = (
        f"De mail komt van {sender}, maar de factuur noemt {shown}: "
        "mogelijk de factuur van een ander bedrijf; controleer wie de opdrachtgever is"
    )
    problem = Problem("sender_domain_mismatch", message, field="client.name", source="header:From")
    return replace(client, **changes), [problem]


def apply_client_hints(client: Party, hints: ClientHints | None) -> Party:
    """Fill or question the client's values with the ones staff confirmed for this sender.

    A value the document lacks, or read with low confidence, becomes the confirmed
    one. A confident document value that differs from the confirmed one is kept but
    lowered below the threshold, because the client's KvK number or IBAN seldom change.
    """
    if hints is None or hints.empty:
        return client
    changes: dict[str, Field] = {}
    for name, known in hints.party_values().items():
        current: Field = getattr(client, name)
        if not current.present or not current.trusted:
            changes[name] = Field(known, HINT_CONFIDENCE, f"hints:{hints.client_email or 'client'}", "bekend uit eerdere correcties")
        elif _comparable(current.value) != _comparable(known):
            note = f"wijkt af van de eerder bevestigde waarde {known}"
            changes[name] = replace(current, confidence=min(current.confidence, MISMATCH_CONFIDENCE), note=note)
    return replace(client, **changes)


def _comparable(value: object) -> str:
    return re.sub(r"[\s.\-]", "", str(value)).lower()
