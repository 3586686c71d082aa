"""Wire the workers from the settings: which mailbox, which transport, which loops."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from daemon.context import DaemonContext
from daemon.fetch_worker import FetchWorker
from daemon.intake_worker import IntakeWorker
from daemon.outbox.base import MailTransport
from daemon.outbox.folder import FolderTransport
from daemon.outbox.smtp import SmtpTransport
from daemon.outbox_worker import OutboxWorker
from daemon.phase_worker import PhaseWorker
from daemon.runner import Daemon, WorkerLoop
from daemon.sources.base import MailboxSource
from daemon.sources.imap import ImapSource
from daemon.sources.maildir import MaildirSource
from dossiers.leases import release_dead_leases

logger = logging.getLogger(__name__)


@dataclass
class Workers:
    fetch: FetchWorker
    intake: IntakeWorker
    phases: PhaseWorker
    outbox: OutboxWorker

    def in_order(self) -> list:  # type: ignore[type-arg]
        return [self.fetch, self.intake, self.phases, self.outbox]

    def close(self) -> None:
        self.fetch.source.close()
        self.outbox.transport.close()


def make_source(context: DaemonContext) -> MailboxSource:
    imap = context.settings.imap
    if imap is None:
        return MaildirSource(context.settings.maildir)
    return ImapSource(
        imap.host,
        imap.port,
        imap.security,  # type: ignore[arg-type]
        imap.user,
        imap.password,
        folder=imap.folder,
        processed_folder=imap.processed_folder,
        mark_mode=imap.mark_mode,  # type: ignore[arg-type]
        batch_size=context.settings.fetch_batch,
    )


def make_transport(context: DaemonContext, folder: FolderTransport) -> MailTransport:
    smtp = context.settings.smtp
    if smtp is None:
        return folder
    return SmtpTransport(smtp.host, smtp.port, smtp.security, smtp.user or None, smtp.password or None)  # type: ignore[arg-type]


def make_workers(context: DaemonContext) -> Workers:
    folder = FolderTransport(context.settings.outbox_dir)
    return Workers(
        fetch=FetchWorker(context, make_source(context)),
        intake=IntakeWorker(context),
        phases=PhaseWorker(context),
        outbox=OutboxWorker(context, make_transport(context, folder), folder),
    )


def release_leases_of_dead_processes(context: DaemonContext) -> None:
    hostname = context.worker_id.rsplit(":", 1)[0]
    with context.session() as session:
        release_dead_leases(session, hostname, context.clock.now())


def make_daemon(context: DaemonContext, workers: Workers) -> Daemon:
    poll = context.settings.poll_seconds
    loops = [
        WorkerLoop(workers.fetch, idle_seconds=poll),
        WorkerLoop(workers.intake, idle_seconds=1.0),
        WorkerLoop(workers.phases, idle_seconds=5.0),
        WorkerLoop(workers.outbox, idle_seconds=2.0),
    ]
    periodic = [(60.0, lambda: release_leases_of_dead_processes(context))]
    return Daemon(loops, periodic)
