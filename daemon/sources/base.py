"""The contract every mailbox source implements.

The fetch worker asks a source for messages above a stored watermark, stores each raw
message in the database, commits, and only then calls `mark_processed`, so that nothing
on the server changes before the message is safe (no message is lost).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol


class SourceError(Exception):
    """A mailbox could not be read; the fetch worker retries with back-off."""


class SourceConfigError(SourceError):
    """The mailbox settings are wrong; retrying will not help."""


@dataclass(frozen=True)
class Watermark:
    """The highest UID already stored for one mailbox under one UIDVALIDITY."""

    mailbox: str
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class SourceMessage:
    """One raw message as fetched, with the keys that identify it on the server.

    For IMAP, `uidvalidity` and `uid` are the server's; for a Maildir, `uidvalidity` is
    0 and `uid` is None, and `key` is the Maildir key (the unique file name stem).
    """

    mailbox: str
    uidvalidity: int
    uid: int | None
    key: str
    raw: bytes

    @property
    def source_key(self) -> str:
        """Stable identity of this message on its server, unique across sources."""
        if self.uid is None:
            return f"{self.mailbox}#{self.key}"
        return f"{self.mailbox}#{self.uidvalidity}:{self.uid}"


class MailboxSource(Protocol):
    """A mailbox the daemon reads client mail from."""

    mailbox: str

    def fetch(self, watermark: Watermark | None, limit: int) -> Iterator[SourceMessage]:
        """Yield at most `limit` messages not yet stored, oldest first.

        With IMAP, messages with a UID above `watermark.last_uid` are returned when the
        mailbox's UIDVALIDITY still equals `watermark.uidvalidity`; when it changed (or
        `watermark` is None) every message in the folder is returned, and the caller's
        unique key on (mailbox, uidvalidity, uid) or on the raw SHA-256 keeps duplicates
        out. Raises SourceError when the server cannot be read.
        """
        ...

    def current_uidvalidity(self) -> int:
        """Return the UIDVALIDITY seen at the last select (0 for a Maildir)."""
        ...

    def mark_processed(self, message: SourceMessage) -> None:
        """Move the message out of the inbox (or flag it); idempotent.

        Called only after the raw message was committed to the database. A message
        already moved or gone is not an error.
        """
        ...

    def mark_processed_many(self, messages: Sequence[SourceMessage]) -> None:
        """Mark several messages as `mark_processed` does, in as few commands as possible."""
        ...

    def close(self) -> None:
        ...
