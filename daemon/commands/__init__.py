"""Subcommands of `incasso`, one module per area.

Each module has `add_parsers(commands)`, which registers its subcommands on the
`argparse` subparsers and sets `handler` (a function of the daemon context and the
parsed arguments, returning the exit code) and, for commands that must not touch the
schema first, `migrate=False`.
"""

from __future__ import annotations

from daemon.commands import clients, correct, database, demo, extract, inspect, run, track
from daemon.commands import users, web

MODULES = [run, database, inspect, clients, demo, extract, correct, track, users, web]
