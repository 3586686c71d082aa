"""`incasso web [--host HOST] [--port PORT]`: serve the staff desk with waitress."""

from __future__ import annotations

import argparse
import logging
from typing import Any

logger = logging.getLogger("incasso.web")


def add_parsers(commands: Any) -> None:
    web = commands.add_parser("web", help="het medewerkersscherm starten (stoppen met Ctrl-C)")
    web.add_argument("--host", default="127.0.0.1", help="adres om op te luisteren (standaard 127.0.0.1)")
    web.add_argument("--port", type=int, default=8000, help="poort (standaard 8000)")
    web.add_argument("--threads", type=int, default=8, help="aantal gelijktijdige verzoeken (standaard 8)")
    web.set_defaults(handler=_serve)


def _serve(context: Any, args: argparse.Namespace) -> int:
    from waitress import serve

    from web.app import create_app

    if not 1 <= args.port <= 65535:
        print(f"incasso: poort {args.port} is ongeldig; kies een getal van 1 tot 65535.")
        return 2
    app = create_app(context=context)
    logger.info("staff desk on http://%s:%s (links in mails use %s)", args.host, args.port, context.settings.web_url)
    print(f"Medewerkersscherm: http://{args.host}:{args.port}/  (stoppen met Ctrl-C)", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="incasso")
    return 0
