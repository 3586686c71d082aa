"""Network helpers shared by the mailbox source, the SMTP transport and the settings."""

from __future__ import annotations

import ipaddress
import socket


def is_loopback_host(host: str) -> bool:
    """Return whether every address `host` resolves to is a loopback address.

    IP literals and "localhost" are decided without a lookup; other names are resolved
    with getaddrinfo, and a name that does not resolve is not loopback.
    """
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass

    try:
        infos = socket.getaddrinfo(name, None)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(address.split("%", 1)[0]).is_loopback for address in addresses
    )
