"""Sender authentication as reported by the receiving mail server.

Reads the topmost Authentication-Results header (RFC 8601), the one the agency's own
server adds on receipt; lower headers may come from anywhere on the way and are not
trusted.
"""

from __future__ import annotations

import re

_RESULT = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*([a-z]+)", re.IGNORECASE)


def authentication_failures(header_value: str) -> list[str]:
    """Return the failed checks, such as ["dmarc=fail", "spf=fail"], or an empty list.

    Only DMARC and SPF failures count: a broken DKIM signature alone is common on
    mailing lists and forwards, and DMARC already weighs it.
    """
    failures = []
    for method, result in _RESULT.findall(header_value or ""):
        method, result = method.lower(), result.lower()
        if method in ("dmarc", "spf") and result == "fail":
            failures.append(f"{method}={result}")
    return failures
