"""Outbox transport that writes e-mails and print letters as files into a folder.

Used when no SMTP server is set, and for letters that go by post. Every file is written
atomically (temporary file in the same folder, fsync, rename), so a reader of the folder
finds either the complete file or none. A file is named after its outbox id, and writing
the same outbox id again replaces that file, so a retried delivery never leaves a second
copy.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from daemon.outbox.base import DeliveryError, OutgoingMail

logger = logging.getLogger(__name__)

MAIL_SUBDIR = "mail"
POST_SUBDIR = "post"
TEMP_PREFIX = ".tmp-"
MAX_NAME_PART = 80

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._@+=-]+")


def safe_name_part(text: str) -> str:
    """Return `text` reduced to characters that are safe in a file name on any system."""
    cleaned = _UNSAFE_CHARS.sub("_", text.strip().strip("<>")).strip("._")
    return cleaned[:MAX_NAME_PART] or "message"


class FolderTransport:
    """Write outgoing mail to `{outbox_dir}/mail/` and print letters to `{outbox_dir}/post/`."""

    def __init__(self, outbox_dir: Path | str) -> None:
        self.outbox_dir = Path(outbox_dir)
        self.mail_dir = self.outbox_dir / MAIL_SUBDIR
        self.post_dir = self.outbox_dir / POST_SUBDIR

    def deliver(self, mail: OutgoingMail) -> None:
        """Write the message as `{outbox_id:06d}-{message id}.eml`; raise DeliveryError on failure.

        A failed write is transient (a full disk or a missing mount may recover).
        """
        name = f"{_id_prefix(mail.outbox_id)}{safe_name_part(mail.message_id)}.eml"
        try:
            path = _write_atomically(self.mail_dir, name, mail.raw)
        except OSError as error:
            raise DeliveryError(
                f"outbox {mail.outbox_id}: cannot write e-mail into {self.mail_dir}: {error}",
                permanent=False,
            ) from error
        logger.debug("Wrote outbox %s (Message-ID %s) to %s", mail.outbox_id, mail.message_id, path.name)

    def write_print_letter(self, outbox_id: int, pdf: bytes, name: str) -> Path:
        """Write a letter for the post as `{outbox_id:06d}-{name}.pdf` and return its path.

        Raises OSError when the file cannot be written.
        """
        stem = safe_name_part(name.removesuffix(".pdf").removesuffix(".PDF"))
        path = _write_atomically(self.post_dir, f"{_id_prefix(outbox_id)}{stem}.pdf", pdf)
        logger.debug("Wrote print letter for outbox %s to %s", outbox_id, path.name)
        return path

    def close(self) -> None:
        """Release nothing: every write opens and closes its own file."""


def _id_prefix(outbox_id: int) -> str:
    if outbox_id < 0:
        raise ValueError(f"invalid outbox id {outbox_id}: must not be negative")
    return f"{outbox_id:06d}-"


def _write_atomically(directory: Path, name: str, data: bytes) -> Path:
    """Write `data` to `directory/name` through a synced temporary file and a rename.

    Other files with the same outbox id prefix (written under another name by an
    earlier attempt) are removed after the rename, so one outbox id has one file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name

    descriptor, temp_name = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise

    prefix = name.split("-", 1)[0] + "-"
    for other in directory.glob(f"{prefix}*"):
        if other.name != name and other.suffix == target.suffix:
            other.unlink(missing_ok=True)
            logger.debug("Removed %s, an earlier file for the same outbox id", other.name)

    _fsync_directory(directory)
    return target


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; some file systems do not support syncing a directory."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
