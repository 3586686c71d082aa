"""Our own Message-IDs, signed so that a reply to our mail can be trusted.

A Message-ID looks like ``<incasso.TOKEN.SIGNATURE@domain>``: TOKEN is derived from
the outbox item's idempotency key (a rebuilt message keeps its id) and SIGNATURE is an
HMAC-SHA256 of the token under the installation's secret key. Someone who never
received one of our messages cannot make up an id that passes `is_ours`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

_OUR_ID = re.compile(r"<incasso\.([0-9a-f]{24})\.([0-9a-f]{16})@[^>\s]+>")
_ANY_ID = re.compile(r"<[^<>\s]+>")


class MessageIdSigner:
    def __init__(self, secret: bytes, domain: str) -> None:
        if len(secret) < 16:
            raise ValueError("the Message-ID secret must be at least 16 bytes")
        self._secret = secret
        self.domain = domain

    def make(self, idempotency_key: str) -> str:
        token = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return f"<incasso.{token}.{self._sign(token)}@{self.domain}>"

    def is_ours(self, message_id: str) -> bool:
        match = _OUR_ID.fullmatch(message_id.strip())
        if match is None:
            return False
        return hmac.compare_digest(match.group(2), self._sign(match.group(1)))

    def ours_in(self, headers: Iterable[str]) -> list[str]:
        """Return our verified Message-IDs found in In-Reply-To / References values, newest first."""
        found: list[str] = []
        for value in headers:
            for candidate in _ANY_ID.findall(value or ""):
                if self.is_ours(candidate) and candidate not in found:
                    found.append(candidate)
        return list(reversed(found))

    def _sign(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()[:16]


def load_or_create_secret(path: Path) -> bytes:
    """Read the embedded default's secret key, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip().encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    logger.info("created a new Message-ID signing key in %s", path)
    return value.encode()
