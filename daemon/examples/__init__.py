"""Example client mails with generated invoice PDFs and known expected outcomes.

`seed_maildir` fills a local Maildir so that a first run of the daemon has claims to
open dossiers for. The test suite uses `build_example_mails` and `build_backlog_mails`
as inputs with ground truth. Every name, number and address is invented.
"""

from __future__ import annotations

from daemon.examples.backlog import build_backlog_mails
from daemon.examples.maildir import seed_maildir, write_maildir
from daemon.examples.mails import KINDS, build_example_mail, build_example_mails
from daemon.examples.models import (
    ExampleAttachment,
    ExampleInvoice,
    ExampleMail,
    ExampleParty,
)
from daemon.examples.render import LAYOUTS, render_invoice_pdf

__all__ = [
    "KINDS",
    "LAYOUTS",
    "ExampleAttachment",
    "ExampleInvoice",
    "ExampleMail",
    "ExampleParty",
    "build_backlog_mails",
    "build_example_mail",
    "build_example_mails",
    "render_invoice_pdf",
    "seed_maildir",
    "write_maildir",
]
