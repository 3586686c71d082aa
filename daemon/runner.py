"""The long-running daemon: one thread per worker loop, one stop event.

Each worker has `run_once() -> int` that does one small unit of work and returns how
much it did. A loop calls it again at once while there is work, and otherwise waits on
the stop event for its idle interval, so SIGTERM or Ctrl-C ends every loop after the
item in hand. Errors escaping `run_once` are logged and retried with exponential
back-off; they never end the process. Periodic jobs run on the `schedule` library in
the main thread.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Protocol

import schedule

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


class BackOff(Exception):
    """Raised by a worker whose resource is unavailable and already logged it.

    The loop waits with exponential back-off without logging a traceback each time.
    """


class Worker(Protocol):
    name: str

    def run_once(self) -> int:
        ...


@dataclass
class WorkerLoop:
    """How often to run a worker when it is idle, and how to back off after errors."""

    worker: Worker
    idle_seconds: float
    first_backoff: float = 1.0


def run_until_idle(workers: Sequence[Worker], max_rounds: int = 100_000) -> dict[str, int]:
    """Run every worker in order until a whole round does no work (`--once`)."""
    totals = {worker.name: 0 for worker in workers}
    for _ in range(max_rounds):
        did_work = False
        for worker in workers:
            while True:
                count = worker.run_once()
                totals[worker.name] += count
                if count == 0:
                    break
                did_work = True
        if not did_work:
            return totals
    logger.warning("stopped after %s rounds with work still coming in", max_rounds)
    return totals


class Daemon:
    def __init__(self, loops: Sequence[WorkerLoop], periodic: Sequence[tuple[float, Callable[[], None]]] = ()) -> None:
        self.loops = loops
        self.stop_event = threading.Event()
        self.scheduler = schedule.Scheduler()
        for seconds, job in periodic:
            self.scheduler.every(seconds).seconds.do(self._guarded, job)
        self.threads: list[threading.Thread] = []

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop_event.is_set():
            logger.warning("second %s received; still finishing the current items", signal.Signals(signum).name)
            return
        logger.info("%s received; finishing the current items and stopping", signal.Signals(signum).name)
        self.stop_event.set()

    def run(self) -> None:
        for loop in self.loops:
            thread = threading.Thread(target=self._run_loop, args=(loop,), name=loop.worker.name, daemon=True)
            thread.start()
            self.threads.append(thread)
        logger.info("daemon started with workers: %s", ", ".join(loop.worker.name for loop in self.loops))
        while not self.stop_event.is_set():
            self.scheduler.run_pending()
            self.stop_event.wait(0.5)
        for thread in self.threads:
            thread.join()
        logger.info("daemon stopped")

    def _run_loop(self, loop: WorkerLoop) -> None:
        backoff = loop.first_backoff
        while not self.stop_event.is_set():
            try:
                count = loop.worker.run_once()
            except BackOff:
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            except Exception:  # the loop boundary: log, back off, try again
                logger.exception("worker %s failed; retrying in %.0f s", loop.worker.name, backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = loop.first_backoff
            if count == 0:
                self.stop_event.wait(loop.idle_seconds)

    def _guarded(self, job: Callable[[], None]) -> None:
        started = time.monotonic()
        try:
            job()
        except Exception:
            logger.exception("periodic job %s failed", getattr(job, "__name__", job))
        logger.debug("periodic job took %.2f s", time.monotonic() - started)
