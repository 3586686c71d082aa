"""Letter rendering: jinja2 template -> HTML -> PDF with WeasyPrint.

One `LetterRenderer` per worker process. It keeps one jinja2 environment and one
WeasyPrint `FontConfiguration`, so fonts are loaded once per process and not per letter.
benchmarks/render_letters.py measures both ways.

Fonts: the body text is DejaVu Sans (Debian fonts-dejavu-core). A house font may be set
in front of it. The CSS font-family list keeps DejaVu Sans behind the house font, so a
character the house font lacks, such as the euro sign, is drawn from DejaVu Sans.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from daemon.templating import make_environment

logger = logging.getLogger(__name__)

# Fallback chain behind the house font; every entry has a euro glyph.
FONT_FALLBACKS = ('"DejaVu Sans"', '"Noto Sans"', '"Liberation Sans"', "sans-serif")


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

    def _font_stack(self) -> str:
        families = list(FONT_FALLBACKS)
        if self.house_font is not None:
            families.insert(0, '"' + self.house_font.family.replace('"', "") + '"')
        return ", ".join(families)

    def render_html(self, template_name: str, context: dict[str, Any]) -> str:
        """Render `template_name` with `context` to an HTML string."""
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
