"""Varied example invoices with ground truth, for the extraction benchmark and its tests.

Every invoice is drawn from a seeded generator with independent knobs: page layout,
label wording (Dutch and English, common and rare), date and amount styles, a euro
sign in its own column, the KvK number on the line under its label, fake bold,
identifiers in a footer far from the seller's name or sideways in the margin, a
payment term instead of a due date, consumer and business debtors, partial payments
and several VAT rates. Equal seeds give equal bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from daemon.examples.drawnpdf import A4_WIDTH, TextItem, draw_pdf
from daemon.examples.formatting import MONTHS_NL
from daemon.examples.identifiers import format_iban, make_iban, make_kvk, make_landline, make_postcode, make_vat_id
from daemon.examples.invoices import line_amount, to_cents, vat_by_rate
from daemon.examples.models import ExampleInvoice, ExampleParty, InvoiceLine
from daemon.examples.parties import make_business_debtor, make_consumer_debtor

LAYOUTS = ("letterhead_left", "letterhead_right", "footer_ids", "sideways_ids", "table_meta")
DATE_STYLES = ("dd-mm-yyyy", "dd/mm/yyyy", "dd.mm.yyyy", "d month yyyy", "d mon. yyyy", "yyyy-mm-dd")
AMOUNT_STYLES = ("euro", "euro_nospace", "eur", "plain", "no_thousands")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_MONTH_ABBREVIATIONS_NL = ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")

# Label wordings per field: Dutch and English sets, each picked per invoice.
LABELS_NL = {
    "number": ("Factuurnummer", "Factuurnr.", "Factuur nr.", "Nota nummer", "Factuur nummer"),
    "date": ("Factuurdatum", "Datum", "Datum factuur", "Factuur datum"),
    "due_date": ("Vervaldatum", "Uiterste betaaldatum", "Te betalen vóór", "Betalen voor"),
    "term": ("Betalingstermijn", "Betaaltermijn"),
    "subtotal": ("Subtotaal", "Totaal excl. btw", "Bedrag excl. BTW", "Netto bedrag"),
    "vat": ("BTW {rate}%", "{rate}% btw", "Btw {rate}%"),
    "total": ("Totaal", "Totaal incl. btw", "Te betalen", "Totaalbedrag", "Factuurbedrag"),
    "paid": ("Reeds betaald", "Ontvangen aanbetaling", "Voldaan"),
    "outstanding": ("Openstaand bedrag", "Nog te betalen", "Openstaand saldo"),
    "customer": ("Klantnummer", "Debiteurnummer", "Uw referentie"),
    "title": ("FACTUUR", "Factuur"),
}
LABELS_EN = {
    "number": ("Invoice number", "Invoice no.", "Invoice #"),
    "date": ("Invoice date", "Date"),
    "due_date": ("Due date", "Payment due"),
    "term": ("Payment terms",),
    "subtotal": ("Subtotal", "Total excl. VAT"),
    "vat": ("VAT {rate}%",),
    "total": ("Total", "Amount due", "Total amount due", "Invoice total"),
    "paid": ("Amount paid", "Paid"),
    "outstanding": ("Balance due",),
    "customer": ("Customer number", "Your reference"),
    "title": ("INVOICE", "Invoice"),
}

_COMPANY_WORDS = ("Installatie", "Bouw", "Drukwerk", "Techniek", "Advies", "Schoonmaak", "Transport", "Catering", "ICT", "Houtbouw")
_SURNAMES = ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Kok", "Verhoeven", "Hermans", "Peeters")
_LEGAL_FORMS = ("B.V.", "V.O.F.", "B.V.", "Holding B.V.", "C.V.")
_CITIES = ("Utrecht", "Zwolle", "Amersfoort", "Leiden", "Nijmegen", "Alkmaar", "Helmond", "Emmen", "Hoorn", "Venlo", "Delft", "Gouda")
_STREETS = ("Industrieweg", "Handelskade", "Ambachtstraat", "Dorpsstraat", "Parkweg", "Zuiderhaven", "Marktplein", "Energieweg")
_CATALOGUE: tuple[tuple[str, Decimal, Decimal], ...] = (
    ("Arbeidsloon (per uur)", Decimal("62.50"), Decimal("21")),
    ("Materiaal volgens werkbon", Decimal("184.20"), Decimal("21")),
    ("Voorrijkosten", Decimal("35.00"), Decimal("21")),
    ("Adviesgesprek", Decimal("125.00"), Decimal("21")),
    ("Lunch (p.p.)", Decimal("17.50"), Decimal("9")),
    ("Boeken en naslagwerk", Decimal("42.95"), Decimal("9")),
    ("Onderhoudscontract (maand)", Decimal("89.00"), Decimal("21")),
    ("Licentie software (jaar)", Decimal("1450.00"), Decimal("21")),
    ("Planten en bloemen", Decimal("12.40"), Decimal("9")),
    ("Vrijgestelde cursusdag", Decimal("295.00"), Decimal("0")),
)


@dataclass(frozen=True)
class InvoiceStyle:
    """The knobs of one generated invoice."""

    layout: str
    language: str  # "nl" or "en"
    labels: dict[str, str] = field(default_factory=dict)
    date_style: str = "dd-mm-yyyy"
    amount_style: str = "euro"
    euro_column: bool = False
    kvk_next_line: bool = False
    fake_bold: bool = False
    due_as_term: bool = False
    decoy_reference: bool = True


@dataclass(frozen=True)
class VariantInvoice:
    """One generated invoice PDF with the values it prints."""

    pdf: bytes
    client: ExampleParty
    debtor: ExampleParty
    invoice: ExampleInvoice
    style: InvoiceStyle
    filename: str


def make_client(rng: random.Random) -> ExampleParty:
    """Draw a seller with valid identifiers and a website domain."""
    surname = rng.choice(_SURNAMES)
    name = f"{surname[0].upper()}{surname[1:]} {rng.choice(_COMPANY_WORDS)} {rng.choice(_LEGAL_FORMS)}"
    slug = "".join(char for char in name.lower().split(" b.v.")[0] if char.isalnum())[:24]
    city = rng.choice(_CITIES)
    return ExampleParty(
        name=name,
        kvk=make_kvk(rng),
        vat_id=make_vat_id(rng),
        iban=make_iban(rng),
        email=f"{rng.choice(('info', 'administratie', 'facturen'))}@{slug}.example",
        phone=make_landline(rng, "030"),
        street=f"{rng.choice(_STREETS)} {rng.randint(1, 240)}",
        postcode=make_postcode(rng),
        city=city,
    )


def make_style(rng: random.Random) -> InvoiceStyle:
    """Draw the knobs of one invoice."""
    language = "en" if rng.random() < 0.2 else "nl"
    wordings = LABELS_EN if language == "en" else LABELS_NL
    labels = {key: rng.choice(options) for key, options in wordings.items()}
    date_style = rng.choice(DATE_STYLES)
    amount_style = rng.choice(AMOUNT_STYLES if language == "nl" else ("euro", "euro_nospace", "eur"))
    return InvoiceStyle(
        layout=rng.choice(LAYOUTS),
        language=language,
        labels=labels,
        date_style=date_style,
        amount_style=amount_style,
        euro_column=amount_style == "plain" or rng.random() < 0.25,
        kvk_next_line=rng.random() < 0.25,
        fake_bold=rng.random() < 0.3,
        due_as_term=rng.random() < 0.2,
        decoy_reference=rng.random() < 0.6,
    )


def make_variant_invoice(rng: random.Random, client: ExampleParty, *, today: date, style: InvoiceStyle | None = None) -> VariantInvoice:
    """Draw an overdue invoice of `client` to a new debtor and render it in a drawn style."""
    style = style or make_style(rng)
    debtor = make_consumer_debtor(rng) if rng.random() < 0.25 else make_business_debtor(rng, rng.choice(("B.V.", "V.O.F.")))
    term = rng.choice((14, 30, 30, 8, 21))
    invoice_date = today - timedelta(days=term + 20 + rng.randint(0, 200))
    count = rng.randint(1, 4)
    items = rng.sample(_CATALOGUE, count)
    lines: tuple[InvoiceLine, ...] = tuple(
        (description, Decimal(rng.choice(("1", "2", "3", "4.5", "8", "12"))), price, rate) for description, price, rate in items
    )
    subtotal = sum((line_amount(line) for line in lines), Decimal("0.00"))
    vat = sum((amount for _base, amount in vat_by_rate(lines).values()), Decimal("0.00"))
    total = subtotal + vat
    outstanding = total
    if rng.random() < 0.2:
        paid = to_cents((total * Decimal(rng.randint(20, 60)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        outstanding = total - max(paid, Decimal("1.00"))
    number = rng.choice(("{y}-{n:04d}", "F{y}{n:05d}", "{n:06d}", "INV-{y}-{n:03d}", "{yy}.{n:04d}")).format(
        y=invoice_date.year, yy=invoice_date.year % 100, n=rng.randint(1, 9999)
    )
    invoice = ExampleInvoice(
        number=number,
        date=invoice_date,
        due_date=invoice_date + timedelta(days=term),
        payment_term_days=term,
        lines=lines,
        subtotal=subtotal,
        vat=vat,
        total=total,
        outstanding=outstanding,
    )
    pdf = draw_pdf([_page(client, debtor, invoice, style, rng)], title=f"Factuur {invoice.number}")
    return VariantInvoice(pdf, client, debtor, invoice, style, f"{style.labels['title'].capitalize()} {invoice.number}.pdf".replace("/", "-"))


def format_date(value: date, style: str, language: str) -> str:
    """Format a date in one of `DATE_STYLES`; English month names for English invoices."""
    if style == "dd/mm/yyyy":
        return value.strftime("%d/%m/%Y")
    if style == "dd.mm.yyyy":
        return value.strftime("%d.%m.%Y")
    if style == "yyyy-mm-dd":
        return value.isoformat()
    if style == "d month yyyy":
        month = MONTHS_EN[value.month - 1] if language == "en" else MONTHS_NL[value.month - 1]
        return f"{value.day} {month} {value.year}"
    if style == "d mon. yyyy":
        month = MONTHS_EN[value.month - 1][:3] if language == "en" else _MONTH_ABBREVIATIONS_NL[value.month - 1]
        return f"{value.day} {month} {value.year}"
    return value.strftime("%d-%m-%Y")


def format_amount(amount: Decimal, style: str, language: str, *, with_currency: bool = True) -> str:
    """Format an amount: Dutch 1.234,56 or English 1,234.56, with the currency the style sets."""
    text = f"{abs(amount):,.2f}"
    if language == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if style == "no_thousands":
        text = text.replace("." if language == "nl" else ",", "")
    sign = "-" if amount < 0 else ""
    if not with_currency or style in ("plain", "no_thousands"):
        return sign + text
    if style == "euro_nospace":
        return f"{sign}€{text}"
    if style == "eur":
        return f"{sign}EUR {text}"
    return f"{sign}€ {text}"


def _page(client: ExampleParty, debtor: ExampleParty, invoice: ExampleInvoice, style: InvoiceStyle, rng: random.Random) -> list[TextItem]:
    items: list[TextItem] = []
    en = style.language == "en"
    bold_copies = 3 if style.fake_bold else 1

    # Seller: name and address in the letter head, identifiers by layout.
    head_x = 340.0 if style.layout == "letterhead_right" else 60.0
    items.append(TextItem(head_x, 48, client.name, 14, bold=True, overprint=bold_copies))
    items += [TextItem(head_x, 68, client.street), TextItem(head_x, 80, f"{client.postcode} {client.city}")]
    items.append(TextItem(head_x, 92, f"{'Phone' if en else 'Tel.'} {client.phone}"))
    items.append(TextItem(head_x, 104, f"{'E-mail' if en else 'E-mail'} {client.email}"))
    ids = _identifier_lines(client, style)
    if style.layout in ("letterhead_left", "table_meta"):
        for offset, text in enumerate(ids):
            items.append(TextItem(380, 68 + 12 * offset, text))
    elif style.layout == "letterhead_right":
        for offset, text in enumerate(ids):
            items.append(TextItem(head_x, 116 + 12 * offset, text))
    elif style.layout == "footer_ids":
        # Far from the seller's name, at the foot of the page.
        if style.kvk_next_line:
            for offset, text in enumerate(ids):
                items.append(TextItem(400, 740 + 10 * offset, text, 7.5))
        else:
            items.append(TextItem(60, 800, "   |   ".join(ids), 7.5))
    else:  # sideways_ids: one line up the left margin
        items.append(TextItem(30, 760, "   ".join(ids), 7, angle=90))

    # Buyer's address block.
    buyer_top = 170.0 if style.layout == "letterhead_right" and len(ids) > 3 else 150.0
    buyer_lines = [debtor.name]
    if debtor.contact:
        buyer_lines.append(f"{'Attn.' if en else 't.a.v.'} {debtor.contact}")
    buyer_lines += [debtor.street, f"{debtor.postcode}  {debtor.city}"]
    for offset, text in enumerate(buyer_lines):
        items.append(TextItem(60, buyer_top + 12 * offset, text, 10))

    # Title and meta data.
    top = buyer_top + 12 * len(buyer_lines) + 40
    items.append(TextItem(60, top, style.labels["title"], 18, bold=True, overprint=bold_copies))
    top += 30
    meta = [(style.labels["number"], invoice.number), (style.labels["date"], format_date(invoice.date, style.date_style, style.language))]
    if style.due_as_term:
        meta.append((style.labels["term"], f"{invoice.payment_term_days} {'days' if en else 'dagen'}"))
    else:
        meta.append((style.labels["due_date"], format_date(invoice.due_date, style.date_style, style.language)))
    if style.decoy_reference:
        meta.append((style.labels["customer"], str(rng.randint(10000, 99999))))
    if style.layout == "table_meta":
        for column, (label, value) in enumerate(meta):
            items.append(TextItem(60 + 125 * column, top, label, 8.5, bold=True))
            items.append(TextItem(60 + 125 * column, top + 13, value))
        top += 40
    else:
        for label, value in meta:
            items += [TextItem(60, top, f"{label}:"), TextItem(190, top, value)]
            top += 13
        top += 20

    # Lines.
    headers = ("Description", "Qty", "Price", "VAT", "Amount") if en else ("Omschrijving", "Aantal", "Prijs", "BTW", "Bedrag")
    for x, text, align in ((60, headers[0], "left"), (330, headers[1], "right"), (400, headers[2], "right"), (450, headers[3], "right"), (530, headers[4], "right")):
        items.append(TextItem(x, top, text, bold=True, align=align))
    top += 16
    for description, quantity, price, rate in invoice.lines:
        quantity_text = f"{quantity.normalize():f}".replace(".", "," if style.language == "nl" else ".")
        items += [
            TextItem(60, top, description),
            TextItem(330, top, quantity_text, align="right"),
            TextItem(400, top, format_amount(price, style.amount_style, style.language, with_currency=False), align="right"),
            TextItem(450, top, f"{rate.normalize():f}%", align="right"),
            TextItem(530, top, format_amount(line_amount((description, quantity, price, rate)), style.amount_style, style.language, with_currency=False), align="right"),
        ]
        top += 13
    top += 12

    # Totals, with the euro sign in a column of its own when the style asks for it.
    rows: list[tuple[str, Decimal, bool]] = [(style.labels["subtotal"], invoice.subtotal, False)]
    for rate, (_base, amount) in vat_by_rate(invoice.lines).items():
        rows.append((style.labels["vat"].format(rate=f"{rate.normalize():f}"), amount, False))
    rows.append((style.labels["total"], invoice.total, True))
    if invoice.outstanding != invoice.total:
        rows.append((style.labels["paid"], invoice.paid, False))
        rows.append((style.labels["outstanding"], invoice.outstanding, True))
    for label, amount, strong in rows:
        items.append(TextItem(340, top, label, bold=strong, overprint=bold_copies if strong else 1))
        if style.euro_column:
            items.append(TextItem(462, top, "€", bold=strong))
            items.append(TextItem(530, top, format_amount(amount, "plain", style.language), align="right", bold=strong, overprint=bold_copies if strong else 1))
        else:
            items.append(TextItem(530, top, format_amount(amount, style.amount_style, style.language), align="right", bold=strong, overprint=bold_copies if strong else 1))
        top += 14

    due_text = format_date(invoice.due_date, style.date_style, style.language)
    if en:
        sentence = f"Please transfer the amount to {format_iban(client.iban)} quoting the invoice number."
    else:
        sentence = f"Wij verzoeken u het bedrag over te maken op {format_iban(client.iban)} o.v.v. het factuurnummer."
    items.append(TextItem(60, min(top + 30, 760), sentence, 8.5))
    if not style.due_as_term and rng.random() < 0.3:
        items.append(TextItem(60, min(top + 42, 772), f"{'Due' if en else 'Vervaldatum'}: {due_text}", 8.5))
    return [item for item in items if item.x < A4_WIDTH]


def _identifier_lines(client: ExampleParty, style: InvoiceStyle) -> list[str]:
    en = style.language == "en"
    kvk_label = "Chamber of Commerce" if en else "KvK"
    lines: list[str] = []
    if style.kvk_next_line:
        lines += [f"{kvk_label}-nummer" if not en else "CoC number", client.kvk or ""]
    else:
        lines.append(f"{kvk_label} {client.kvk}")
    lines += [f"{'VAT' if en else 'BTW'} {client.vat_id}", f"IBAN {format_iban(client.iban)}"]
    return lines


def build_variant_invoices(count: int, *, seed: int, today: date, clients: int = 40) -> list[VariantInvoice]:
    """Build `count` varied invoices from a pool of `clients` sellers; invoice `i` depends only on (seed, i)."""
    pool = [make_client(random.Random(f"variant-client:{seed}:{index}")) for index in range(max(clients, 1))]
    invoices: list[VariantInvoice] = []
    for index in range(count):
        rng = random.Random(f"variant:{seed}:{index}")
        invoices.append(make_variant_invoice(rng, pool[index % len(pool)], today=today))
    return invoices
