"""Measure the daemon's throughput on the embedded default, stage by stage.

Generates N backlog mails (one small invoice PDF each, every tenth without a PDF),
writes them into a fresh Maildir and runs each worker until its queue is empty, timing
fetch, intake, phase letters and the outbox separately.

    .venv/bin/python benchmarks/intake_throughput.py --count 200 [--database-url URL]

Prints one line per stage with items per second. Results are recorded in
docs/benchmarks.md; no test asserts on them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from daemon.app import make_workers
from daemon.context import DaemonContext
from daemon.examples import build_backlog_mails, write_maildir
from daemon.settings import load_settings
from dossiers.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="number of mails (default 200)")
    parser.add_argument("--database-url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="incasso-bench-"))
    today = date(2026, 12, 4)
    started = time.perf_counter()
    mails = list(build_backlog_mails(args.count, seed=1, today=today))
    write_maildir(mails, workdir / "maildir")
    print(f"generated {len(mails)} mails in {time.perf_counter() - started:.1f} s")

    environ = {
        "INCASSO_DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'incasso.db'}",
        "INCASSO_MAILDIR": str(workdir / "maildir"),
        "INCASSO_OUTBOX_DIR": str(workdir / "outbox"),
        "INCASSO_TODAY": today.isoformat(),
        "INCASSO_FROM": "info@alertincasso.nl",
    }
    context = DaemonContext.from_settings(load_settings(environ=environ))
    upgrade(context.engine)
    workers = make_workers(context)

    for worker in workers.in_order():
        started = time.perf_counter()
        done = 0
        while True:
            count = worker.run_once()
            if count == 0:
                break
            done += count
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed else 0.0
        print(f"{worker.name:8s} {done:6d} items in {elapsed:7.2f} s  = {rate:7.1f} items/s")

    workers.close()
    context.close()
    print(f"work directory: {workdir}")


if __name__ == "__main__":
    main()
