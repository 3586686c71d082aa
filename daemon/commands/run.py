"""`incasso run [--once]`: the daemon itself."""

from __future__ import annotations

import logging
import sys
from typing import Any

from daemon.settings import ConfigError

logger = logging.getLogger("incasso")


def add_parsers(commands: Any) -> None:
    run = commands.add_parser("run", help="de daemon starten (stoppen met Ctrl-C of SIGTERM)")
    run.add_argument("--once", action="store_true", help="één volledige ronde: ophalen, verwerken, brieven, verzenden; daarna stoppen")
    run.set_defaults(handler=lambda context, args: _run(context, once=args.once))


def _run(context: Any, *, once: bool) -> int:
    from daemon.app import make_daemon, make_workers, release_leases_of_dead_processes
    from daemon.runner import BackOff, run_until_idle
    from daemon.sources.base import SourceConfigError

    settings = context.settings
    source = f"IMAP {settings.imap.host}:{settings.imap.port}" if settings.imap else f"Maildir {settings.maildir}"
    transport = f"SMTP {settings.smtp.host}:{settings.smtp.port}" if settings.smtp else f"map {settings.outbox_dir}"
    logger.info("reading %s, sending via %s, database %s", source, transport, context.engine.url.render_as_string(hide_password=True))
    try:
        workers = make_workers(context)
    except (SourceConfigError, ValueError) as error:
        raise ConfigError(str(error)) from error
    release_leases_of_dead_processes(context)
    try:
        if once:
            try:
                totals = run_until_idle(workers.in_order())
            except BackOff as error:
                print(f"incasso: mailbox niet bereikbaar: {error.__cause__ or error}", file=sys.stderr)
                return 1
            logger.info("one pass done: %s", ", ".join(f"{name} {count}" for name, count in totals.items()))
            return 0
        daemon = make_daemon(context, workers)
        daemon.install_signal_handlers()
        daemon.run()
        return 0
    finally:
        workers.close()
