"""Letter rendering: jinja2 template -> HTML -> PDF with WeasyPrint.

One `LetterRenderer` per worker process. It keeps one jinja2 environment and one
WeasyPrint `FontConfiguration`, so fonts are loaded once per process and not per letter.
benchmarks/render_letters.py measures both ways.

Fonts: the body text is DejaVu Sans (Debian fonts-dejavu-core). A house font may be set
in front of it. The CSS font-family list keeps DejaVu Sans behind the house font, so a
character the house font lacks, such as the euro sign, is drawn from DejaVu Sans.

Address window: `fit_address` wraps the debtor's name, contact and street to the width
of the envelope window (85 mm, see letters/letter.css), measured with the font's own
glyph widths. It picks the largest font size at which all lines fit the window's 30 mm
height. The postcode and city line is never wrapped.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont, TTLibError

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from daemon.templating import make_environment

logger = logging.getLogger(__name__)

# Fallback chain behind the house font; every entry has a euro glyph.
FONT_FALLBACKS = ('"DejaVu Sans"', '"Noto Sans"', '"Liberation Sans"', "sans-serif")
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# The address block of letters/letter.css: width and height in millimetres, line height.
WINDOW_WIDTH_MM = 85.0
WINDOW_HEIGHT_MM = 30.0
LINE_HEIGHT = 1.25
FONT_SIZES_PT = (10.0, 9.0, 8.0, 7.0)
MM_PER_PT = 25.4 / 72
# Measured widths are raised by this factor, to cover kerning and rounding in the PDF.
WIDTH_MARGIN = 1.04
# Average advance of a DejaVu Sans character in em, used when no font file can be read.
FALLBACK_EM_PER_CHAR = 0.65
NBSP = "\u00a0"


@dataclass(frozen=True)
class WindowAddress:
    """Address lines for the envelope window and the font size that fits them."""

    lines: tuple[str, ...]
    font_size_pt: float
    shortened: bool = False


class TextMeasure:
    """Text widths from a font's advance widths (the widest of the given fonts per character)."""

    def __init__(self, font_paths: list[Path]) -> None:
        self._fonts: list[tuple[dict[int, str], Any, int]] = []
        for path in font_paths:
            try:
                font = TTFont(str(path), lazy=True)
                self._fonts.append((font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm))
            except (OSError, TTLibError, KeyError) as error:
                logger.warning("cannot read font metrics from %s: %s", path, error)

    def width_mm(self, text: str, size_pt: float) -> float:
        em = 0.0
        for char in text:
            em += max(
                (hmtx[cmap[ord(char)]][0] / units for cmap, hmtx, units in self._fonts if ord(char) in cmap),
                default=FALLBACK_EM_PER_CHAR,
            )
        return em * size_pt * MM_PER_PT * WIDTH_MARGIN


def _wrap(text: str, size_pt: float, measure: TextMeasure) -> list[str]:
    """Greedy word wrap to the window width; a word wider than the window is cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if measure.width_mm(candidate, size_pt) <= WINDOW_WIDTH_MM:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while measure.width_mm(word, size_pt) > WINDOW_WIDTH_MM:
            cut = len(word) - 1
            while cut > 1 and measure.width_mm(word[:cut], size_pt) > WINDOW_WIDTH_MM:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def fit_address(debtor: Any, measure: TextMeasure) -> WindowAddress:
    """Wrap and size the address of `debtor` (name, contact, street, postcode, city, country).

    When even the smallest size leaves too many lines, the name keeps its first lines,
    the last one ending in an ellipsis, and `shortened` is True.
    """
    name = str(getattr(debtor, "name", "") or "")
    contact = str(getattr(debtor, "contact", "") or "")
    street = str(getattr(debtor, "street", "") or "")
    postcode = str(getattr(debtor, "postcode", "") or "")
    city = str(getattr(debtor, "city", "") or "").upper()
    country = str(getattr(debtor, "country", "") or "").upper()
    fixed_tail = [f"{postcode}{NBSP}{NBSP}{city}".strip(NBSP)] + ([country] if country else [])

    for size in FONT_SIZES_PT:
        max_lines = math.floor(WINDOW_HEIGHT_MM / (size * LINE_HEIGHT * MM_PER_PT))
        head = _wrap(name, size, measure)
        if contact:
            head += _wrap(f"t.a.v. {contact}", size, measure)
        head += _wrap(street, size, measure)
        if len(head) + len(fixed_tail) <= max_lines:
            return WindowAddress(tuple(head + fixed_tail), size)

    size = FONT_SIZES_PT[-1]
    max_lines = math.floor(WINDOW_HEIGHT_MM / (size * LINE_HEIGHT * MM_PER_PT))
    rest = (_wrap(f"t.a.v. {contact}", size, measure) if contact else []) + _wrap(street, size, measure)
    room = max(1, max_lines - len(fixed_tail) - len(rest))
    name_lines = _wrap(name, size, measure)[:room]
    last = name_lines[-1]
    while last and measure.width_mm(last + "…", size) > WINDOW_WIDTH_MM:
        last = last[:-1]
    name_lines[-1] = last + "…"
    lines = (name_lines + rest + fixed_tail)[: max(max_lines, len(fixed_tail))]
    return WindowAddress(tuple(lines), size, shortened=True)


@dataclass(frozen=True)
class HouseFont:
    """A font file to use before the fallback chain, under the CSS family name `family`."""

    family: str
    path: Path

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()


class LetterRenderer:
    """Render letter templates under `templates_dir` to HTML and to PDF.

    Template names are relative to `templates_dir`, for example
    ``"letters/ingebrekestelling.html.j2"``. Relative URLs in a template (its stylesheet)
    resolve against the template's own folder.
    """

    def __init__(self, templates_dir: Path, *, house_font: HouseFont | None = None) -> None:
        self.templates_dir = templates_dir.resolve()
        self.house_font = house_font
        self.font_config = FontConfiguration()
        self.environment = make_environment(self.templates_dir)
        self.environment.globals["font_stack"] = self._font_stack()
        self.environment.globals["house_font"] = house_font
        fonts = [DEJAVU_SANS] + ([house_font.path] if house_font else [])
        self.measure = TextMeasure([path for path in fonts if path.exists()])

    def _font_stack(self) -> str:
        families = list(FONT_FALLBACKS)
        if self.house_font is not None:
            families.insert(0, '"' + self.house_font.family.replace('"', "") + '"')
        return ", ".join(families)

    def render_html(self, template_name: str, context: dict[str, Any]) -> str:
        """Render `template_name` with `context` to an HTML string.

        When the context has a `debtor` and no `window`, the address lines for the
        envelope window are added as `window` (see `fit_address`).
        """
        if "debtor" in context and "window" not in context:
            window = fit_address(context["debtor"], self.measure)
            if window.shortened:
                logger.warning("debtor name shortened to fit the envelope window")
            context = {**context, "window": window}
        return self.environment.get_template(template_name).render(**context)

    def render_pdf(self, template_name: str, context: dict[str, Any]) -> bytes:
        """Render `template_name` with `context` to PDF bytes.

        The PDF's title metadata is the HTML ``<title>`` of the template.
        """
        html = self.render_html(template_name, context)
        base_url = (self.templates_dir / template_name).parent.as_uri() + "/"
        pdf: bytes = HTML(string=html, base_url=base_url).write_pdf(font_config=self.font_config)
        logger.debug("rendered %s: %d bytes", template_name, len(pdf))
        return pdf
