"""Delivery of example mails into a local Maildir (tmp/, new/, cur/)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import date
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from daemon.examples.mails import build_example_mail, example_message_id
from daemon.examples.models import ExampleMail

log = logging.getLogger(__name__)

MAILDIR_SUBFOLDERS = ("tmp", "new", "cur")

# Seed of the mails `seed_maildir` writes, the default of `build_example_mails`.
EXAMPLE_SEED = 2026


def ensure_maildir(maildir: Path) -> None:
    """Create `maildir` with its tmp/, new/ and cur/ folders if they are missing."""
    for name in MAILDIR_SUBFOLDERS:
        (maildir / name).mkdir(parents=True, exist_ok=True)


def _stored_keys(maildir: Path) -> set[str]:
    """Return the Maildir keys (file names without the `:2,` info) in new/ and cur/."""
    keys: set[str] = set()
    for name in ("new", "cur"):
        for path in (maildir / name).iterdir():
            keys.add(path.name.split(":", 1)[0])
    return keys


def _stored_message_ids(maildir: Path) -> set[str]:
    """Return the Message-ID headers of every message in new/ and cur/."""
    parser = BytesHeaderParser(policy=policy.compat32)
    message_ids: set[str] = set()
    for name in ("new", "cur"):
        for path in (maildir / name).iterdir():
            if not path.is_file():
                continue
            with path.open("rb") as handle:
                message_id = parser.parse(handle).get("Message-ID")
            if message_id:
                message_ids.add(str(message_id).strip())
    return message_ids


def _deliver(mail: ExampleMail, maildir: Path) -> Path:
    """Write one mail to tmp/, sync it and rename it into new/."""
    temporary = maildir / "tmp" / mail.filename
    final = maildir / "new" / mail.filename
    with temporary.open("wb") as handle:
        handle.write(mail.raw)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temporary, final)
    return final


def write_maildir(mails: Iterable[ExampleMail], maildir: Path) -> list[Path]:
    """Deliver `mails` into `maildir/new/` and return the paths written.

    A mail whose file name is already in new/ or cur/ (also with a `:2,` info suffix)
    is skipped, so writing the same mails twice writes nothing the second time.
    """
    ensure_maildir(maildir)
    stored = _stored_keys(maildir)
    written: list[Path] = []
    for mail in mails:
        if mail.filename in stored:
            continue
        written.append(_deliver(mail, maildir))
        stored.add(mail.filename)
    return written


def seed_maildir(maildir: Path, *, today: date, count: int = 8) -> int:
    """Write the example mails into `maildir/new/` unless the Maildir contains them.

    A mail counts as present when its file name or its Message-ID is found in new/ or
    cur/, so mails a reader has moved to cur/ or renamed are not written again. Only
    missing mails are rendered. Returns the number of mails written.
    """
    ensure_maildir(maildir)
    present_ids = _stored_message_ids(maildir)
    mails = [
        build_example_mail(index, seed=EXAMPLE_SEED, today=today)
        for index in range(count)
        if example_message_id(index, seed=EXAMPLE_SEED) not in present_ids
    ]
    written = write_maildir(mails, maildir)
    log.info("seeded %s example mails into the Maildir (%s already present)",
             len(written), count - len(written))
    return len(written)
