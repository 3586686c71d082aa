"""The contract every outbox transport implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class DeliveryError(Exception):
    """Delivery of one message failed."""

    def __init__(self, message: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


@dataclass(frozen=True)
class OutgoingMail:
    """A fully built RFC 5322 message ready to hand to a transport."""

    outbox_id: int
    message_id: str
    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes


class MailTransport(Protocol):
    """Delivers built messages; raises DeliveryError (permanent for 5xx, else transient)."""

    def deliver(self, mail: OutgoingMail) -> None:
        ...

    def close(self) -> None:
        ...
