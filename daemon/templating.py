"""The jinja2 environment for replies and mails, with Dutch formatting filters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from phases.money import format_euro, format_percent

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)


def format_date(value: date | None) -> str:
    """Short Dutch date: 04-12-2026."""
    return "" if value is None else value.strftime("%d-%m-%Y")


def format_long_date(value: date | None) -> str:
    """Long Dutch date as written in letters: 4 december 2026."""
    return "" if value is None else f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_money(value: Decimal | None) -> str:
    return "" if value is None else format_euro(value)


def format_rate(value: Decimal | None) -> str:
    """Percentage as printed in letters: 12,25 %."""
    return "" if value is None else format_percent(value)


def make_environment(templates_dir: Path) -> Environment:
    """Create an environment that escapes HTML templates and leaves .txt templates as text."""
    environment = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "html.j2", "xml"), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["euro"] = format_money
    environment.filters["datum"] = format_date
    environment.filters["datum_lang"] = format_long_date
    environment.filters["procent"] = format_rate
    return environment
