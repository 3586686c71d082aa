"""Measure how fast ImapSource fetches from a private Dovecot on loopback.

    .venv/bin/python benchmarks/imap_fetch.py [--count 1000] [--batch-size 100] [--runs 3] [--padding 0]

Starts a throwaway Dovecot (see tests/servers/dovecot.py), stores `--count` small
messages with IMAP APPEND, then fetches them all through ImapSource `--runs` times and
prints the rate of the best run. Finally it moves half of the messages to the processed
folder with `mark_processed` (one MOVE each) and the other half with
`mark_processed_many` (one MOVE per batch), and prints both rates.
Needs Dovecot installed (Debian: dovecot-imapd).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "tests"))

from servers.dovecot import DovecotServer  # noqa: E402

from daemon.sources.imap import ImapSource  # noqa: E402


def small_mail(number: int, padding: int) -> bytes:
    lines = b"".join(b"%s\r\n" % (b"x" * 76) for _ in range(padding // 78))
    return (
        b"From: klant@example.nl\r\n"
        b"To: info@incasso.test\r\n"
        b"Subject: Factuur %d\r\n"
        b"Message-ID: <bench-%d@example.nl>\r\n"
        b"\r\n"
        b"Graag incasso voor factuur %d, bedrag EUR 1.234,56.\r\n%s" % (number, number, number, lines)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="messages to store (default 1000)")
    parser.add_argument("--batch-size", type=int, default=100, help="UIDs per FETCH (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="fetch passes; the best is reported (default 3)")
    parser.add_argument("--padding", type=int, default=0, help="extra body bytes per message (default 0)")
    arguments = parser.parse_args()

    with DovecotServer() as server:
        started = time.perf_counter()
        server.deliver_many(small_mail(number, arguments.padding) for number in range(1, arguments.count + 1))
        fill_seconds = time.perf_counter() - started
        size = len(small_mail(1, arguments.padding))
        print(f"stored {arguments.count} messages of {size} bytes with APPEND in {fill_seconds:.2f} s")

        source = ImapSource(
            server.host, server.port, "none", server.user, server.password,
            batch_size=arguments.batch_size,
        )
        best = float("inf")
        for run in range(1, arguments.runs + 1):
            started = time.perf_counter()
            fetched = sum(1 for _ in source.fetch(None, limit=arguments.count))
            seconds = time.perf_counter() - started
            best = min(best, seconds)
            print(f"run {run}: fetched {fetched} in {seconds:.3f} s ({fetched / seconds:,.0f} mails/s)")
        print(f"fetch, batch {arguments.batch_size}: {arguments.count / best:,.0f} mails/s (best of {arguments.runs})")

        messages = list(source.fetch(None, limit=arguments.count))
        half = len(messages) // 2
        started = time.perf_counter()
        for message in messages[:half]:
            source.mark_processed(message)
        seconds = time.perf_counter() - started
        print(f"mark_processed, one MOVE per message: {half / seconds:,.0f} mails/s")

        started = time.perf_counter()
        for start in range(half, len(messages), arguments.batch_size):
            source.mark_processed_many(messages[start:start + arguments.batch_size])
        seconds = time.perf_counter() - started
        print(
            f"mark_processed_many, one MOVE per {arguments.batch_size}: "
            f"{(len(messages) - half) / seconds:,.0f} mails/s"
        )
        source.close()
        moved = len(server.list_uids("Verwerkt"))
        print(f"moved {moved} of {len(messages)} messages to Verwerkt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
