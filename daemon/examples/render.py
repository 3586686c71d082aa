"""Rendering of the example documents: jinja2 templates to text, HTML and PDF.

PDFs go through WeasyPrint with one shared `FontConfiguration`. Rendered PDFs are kept
in a bounded in-process cache keyed by their inputs, because the test suite requests
the same invoices many times. WeasyPrint is imported on first use only, since its
import takes about a second.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from daemon.examples import formatting
from daemon.examples.identifiers import format_iban
from daemon.examples.invoices import line_amount, vat_by_rate
from daemon.examples.models import ExampleInvoice, ExampleParty
from daemon.examples.plainpdf import text_lines_to_pdf

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "examples"

# Invoice layouts rendered by WeasyPrint, each a template `invoice_<layout>.html.j2`.
LAYOUTS: tuple[str, ...] = ("classic", "modern", "compact")

# Fixed-width text on one page without WeasyPrint, for load tests with many mails.
PLAIN_LAYOUT = "plain"

# Rendered PDFs kept per process. One example PDF is 10 to 30 KiB, so the cache stays
# below about 8 MiB.
PDF_CACHE_SIZE = 256
_pdf_cache: OrderedDict[Hashable, bytes] = OrderedDict()


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        amount=formatting.amount_nl,
        euro=formatting.euro,
        euro_text=formatting.euro_text,
        quantity=formatting.quantity_nl,
        percent=formatting.percent_nl,
        date_nl=formatting.date_nl,
        date_long=formatting.date_long_nl,
        iban=format_iban,
    )
    return environment


@functools.cache
def _font_config() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_text(template_name: str, **context: Any) -> str:
    """Render the template `template_name` from the examples folder."""
    return _environment().get_template(template_name).render(**context)


def html_to_pdf(html: str) -> bytes:
    """Convert an HTML document to PDF bytes; equal input gives equal bytes."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(TEMPLATE_DIR))
    return bytes(document.write_pdf(font_config=_font_config()))


def _cached_pdf(key: Hashable, template_name: str, context: dict[str, Any]) -> bytes:
    cached = _pdf_cache.get(key)
    if cached is not None:
        _pdf_cache.move_to_end(key)
        return cached

    pdf = html_to_pdf(render_text(template_name, **context))
    _pdf_cache[key] = pdf
    if len(_pdf_cache) > PDF_CACHE_SIZE:
        _pdf_cache.popitem(last=False)
    return pdf


def clear_pdf_cache() -> None:
    """Drop every cached PDF, for timing runs."""
    _pdf_cache.clear()


def invoice_context(
    client: ExampleParty, debtor: ExampleParty, invoice: ExampleInvoice
) -> dict[str, Any]:
    """Build the template context of one invoice: parties, lines and totals."""
    return {
        "seller": client,
        "buyer": debtor,
        "invoice": invoice,
        "rows": [
            {
                "description": line[0],
                "quantity": line[1],
                "unit_price": line[2],
                "vat_rate": line[3],
                "amount": line_amount(line),
            }
            for line in invoice.lines
        ],
        "vat_rows": [
            {"rate": rate, "base": base, "amount": amount}
            for rate, (base, amount) in vat_by_rate(invoice.lines).items()
        ],
        "partially_paid": invoice.outstanding != invoice.total,
    }


def render_invoice_pdf(
    client: ExampleParty,
    debtor: ExampleParty,
    invoice: ExampleInvoice,
    *,
    layout: str = "classic",
) -> bytes:
    """Render `invoice` from `client` to `debtor` as an A4 PDF.

    `layout` is one of `LAYOUTS`, or `PLAIN_LAYOUT` for a fast fixed-width page.
    """
    if layout == PLAIN_LAYOUT:
        lines = render_text("invoice_plain.txt.j2", **invoice_context(client, debtor, invoice))
        return text_lines_to_pdf(lines.splitlines(), title=f"Factuur {invoice.number}")
    if layout not in LAYOUTS:
        raise ValueError(
            f"unknown invoice layout {layout!r}; expected one of {LAYOUTS} or {PLAIN_LAYOUT!r}"
        )
    key = ("invoice", layout, client, debtor, invoice)
    return _cached_pdf(key, f"invoice_{layout}.html.j2", invoice_context(client, debtor, invoice))


def render_terms_pdf(client: ExampleParty) -> bytes:
    """Render the client's general terms (algemene voorwaarden) as a PDF."""
    return _cached_pdf(("terms", client), "terms.html.j2", {"seller": client})


def render_reminder_pdf(
    client: ExampleParty,
    debtor: ExampleParty,
    invoice: ExampleInvoice,
    *,
    reminder_date: date,
) -> bytes:
    """Render the client's earlier payment reminder (herinnering) for `invoice`."""
    context = invoice_context(client, debtor, invoice)
    context["reminder_date"] = reminder_date
    key = ("reminder", client, debtor, invoice, reminder_date)
    return _cached_pdf(key, "reminder.html.j2", context)
