"""The `incasso` command: run the daemon and inspect dossiers, review and outbox.

Messages for staff are Dutch; `--json` output uses the field names of the read models
in `dossiers.queries` and is meant for scripts. The subcommands live in
`daemon.commands`, one module per area.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from daemon.commands import MODULES
from daemon.settings import ConfigError, Settings, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incasso", description="Intake- en incassodaemon van het incassobureau.")
    parser.add_argument("--config", type=Path, help="TOML-bestand met instellingen bovenop config/default.toml")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="logniveau (standaard INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="OPDRACHT")
    for module in MODULES:
        module.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from daemon.logs import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        settings = load_settings(args.config)
        return _dispatch(args, settings)
    except ConfigError as error:
        print(f"incasso: ongeldige instelling: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from daemon.context import DaemonContext
    from dossiers.migrate import upgrade

    context = DaemonContext.from_settings(settings)
    try:
        # The embedded default keeps its schema current by itself; a PostgreSQL store
        # shared by several daemons is upgraded on purpose with `incasso db upgrade`.
        if settings.uses_sqlite and getattr(args, "migrate", True):
            upgrade(context.engine)
        result: int = args.handler(context, args)
        return result
    finally:
        context.close()


if __name__ == "__main__":
    sys.exit(main())
