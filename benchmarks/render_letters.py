"""Measure how many ingebrekestelling PDFs one warm process renders per second.

Usage: .venv/bin/python benchmarks/render_letters.py [--letters N] [--runs R]

Builds the letter context with the phase functions and renders it with one
`LetterRenderer` (one shared FontConfiguration). The first letter warms the process up and
is not counted. For comparison it also renders with a new FontConfiguration per letter.
Prints the median of the runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from daemon.render import LetterRenderer  # noqa: E402
from phases.facts import Claim, DossierFacts  # noqa: E402
from phases.letters import AgencyInfo, ClientInfo, DebtorInfo, ingebrekestelling_context  # noqa: E402
from phases.rates import RateTable  # noqa: E402

TEMPLATE = "letters/ingebrekestelling.html.j2"


def build_context(index: int, rates: RateTable) -> dict:
    facts = DossierFacts(
        dossier_number=f"2026-{index:06d}",
        debtor_kind="business",
        claims=(
            Claim(f"F{index}-1", date(2025, 9, 1), date(2025, 10, 1), Decimal("1250.00") + index, "levering"),
            Claim(f"F{index}-2", date(2026, 10, 1), date(2026, 10, 31), Decimal("3400.50")),
        ),
    )
    return ingebrekestelling_context(
        facts,
        today=date(2026, 12, 4),
        agency=AgencyInfo("Incassobureau B.V.", "Markt 1", "1234 AB", "Zwolle", "038 000 0000", "info@example.nl", "NL91ABNA0417164300", "12345678"),
        client=ClientInfo("Leverancier B.V."),
        debtor=DebtorInfo("Brasserie Naïef B.V.", "Hinthamerstraat 101 bis", "5211 MG", "'s-Hertogenbosch", contact="Zoë Çelik"),
        rates=rates,
    )


def measure(renderer: LetterRenderer, contexts: list[dict], fresh_fonts: bool) -> float:
    start = time.perf_counter()
    for context in contexts:
        if fresh_fonts:
            renderer.font_config = FontConfiguration()
        renderer.render_pdf(TEMPLATE, context)
    return len(contexts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=20, help="letters per run (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="number of runs; the median is printed (default 3)")
    arguments = parser.parse_args()

    rates = RateTable.load()
    contexts = [build_context(index, rates) for index in range(arguments.letters)]
    renderer = LetterRenderer(REPOSITORY / "templates")

    started = time.perf_counter()
    renderer.render_pdf(TEMPLATE, contexts[0])
    print(f"first letter (warm-up, imports already done): {time.perf_counter() - started:.2f} s")

    for label, fresh in (("shared FontConfiguration", False), ("new FontConfiguration per letter", True)):
        rates_per_run = [measure(renderer, contexts, fresh) for _ in range(arguments.runs)]
        print(f"{label}: {statistics.median(rates_per_run):.1f} letters/s (runs: {', '.join(f'{r:.1f}' for r in rates_per_run)})")


if __name__ == "__main__":
    main()
