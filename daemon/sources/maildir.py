"""Mailbox source that reads a local Maildir (the default when no IMAP server is set).

New mail lies in `new/`. After the daemon has stored a message it moves the file to
`cur/` with the Seen flag (`:2,S`), which is how a Maildir marks a message as read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from daemon.sources.base import SourceConfigError, SourceError, SourceMessage, Watermark

logger = logging.getLogger(__name__)

# A Maildir file name is "<unique name>:<info>"; the info part "2,<flags>" changes as
# flags change, so only the unique name identifies the message.
INFO_SEPARATOR = ":"


def maildir_key(file_name: str) -> str:
    """Return the unique name of a Maildir file, without the `:2,…` info part."""
    return file_name.split(INFO_SEPARATOR, 1)[0]


class MaildirSource:
    """A Maildir on the local disk: fetch reads `new/`, mark_processed moves to `cur/`."""

    def __init__(self, path: Path | str, mailbox_name: str = "maildir") -> None:
        self.path = Path(path)
        self.mailbox = mailbox_name
        self._new = self.path / "new"
        self._cur = self.path / "cur"

        try:
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SourceConfigError(
                f"cannot create Maildir folders under {self.path}: {error}"
            ) from error

    def fetch(self, watermark: Watermark | None, limit: int) -> Iterator[SourceMessage]:
        """Yield at most `limit` messages from `new/`, oldest first (mtime, then name).

        The watermark is ignored: a Maildir has no UIDs, and the database keeps
        duplicates out by `source_key`. A file that cannot be read is skipped with a
        warning and stays in `new/`, so the next fetch tries it again.
        """
        if limit <= 0:
            return

        yielded = 0
        for file_path in self._list_new():
            try:
                raw = file_path.read_bytes()
            except FileNotFoundError:
                # Another process moved it between listing and reading.
                logger.debug("Maildir file %s vanished before it was read", file_path.name)
                continue
            except OSError as error:
                logger.warning("Skipping unreadable Maildir file %s: %s", file_path.name, error)
                continue

            key = maildir_key(file_path.name)
            logger.debug("Fetched Maildir message %s from %s", key, self.mailbox)
            yield SourceMessage(mailbox=self.mailbox, uidvalidity=0, uid=None, key=key, raw=raw)

            yielded += 1
            if yielded >= limit:
                return

    def current_uidvalidity(self) -> int:
        return 0

    def mark_processed(self, message: SourceMessage) -> None:
        """Move the message's file from `new/` to `cur/` with the Seen flag.

        A message no longer in `new/` (already moved, or deleted by someone else) is
        not an error.
        """
        key = message.key
        if not key or "/" in key or key.startswith(".") or INFO_SEPARATOR in key:
            raise ValueError(f"invalid Maildir key {key!r}")

        source = self._find_in_new(key)
        if source is None:
            logger.debug("Maildir message %s is no longer in new/; nothing to move", key)
            return

        target = self._cur / f"{key}{INFO_SEPARATOR}{_with_seen_flag(source.name)}"
        try:
            os.rename(source, target)
        except FileNotFoundError:
            logger.debug("Maildir message %s was moved by another process", key)
            return
        except OSError as error:
            raise SourceError(f"cannot move Maildir message {key} to cur/: {error}") from error

        logger.debug("Moved Maildir message %s to cur/", key)

    def mark_processed_many(self, messages: Iterable[SourceMessage]) -> None:
        """Mark each message as `mark_processed` does (a rename per file either way)."""
        for message in messages:
            self.mark_processed(message)

    def close(self) -> None:
        """Release nothing: a Maildir source keeps no open handles."""

    def _list_new(self) -> list[Path]:
        entries: list[tuple[float, str, Path]] = []
        try:
            with os.scandir(self._new) as iterator:
                for entry in iterator:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if not entry.is_file():
                            continue
                        mtime = entry.stat().st_mtime
                    except FileNotFoundError:
                        continue
                    entries.append((mtime, entry.name, Path(entry.path)))
        except OSError as error:
            raise SourceConfigError(f"cannot list Maildir folder {self._new}: {error}") from error

        entries.sort(key=lambda item: (item[0], item[1]))
        return [path for _, _, path in entries]

    def _find_in_new(self, key: str) -> Path | None:
        exact = self._new / key
        if exact.is_file():
            return exact
        for candidate in self._new.glob(f"{_glob_escape(key)}{INFO_SEPARATOR}*"):
            return candidate
        return None


def _with_seen_flag(file_name: str) -> str:
    """Return the info part for `cur/`: existing flags plus S, in ASCII order."""
    _, _, info = file_name.partition(INFO_SEPARATOR)
    flags = set(info[2:]) if info.startswith("2,") else set()
    flags.add("S")
    return "2," + "".join(sorted(flags))


def _glob_escape(text: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)
