"""PDF pages as images, and the boxes of extracted fields drawn over them.

Field sources name the attachment, the page and a box in PDF points measured from the
top-left corner, e.g. ``attachment[0]:F.pdf#page=1;x0=68.4,top=156.3,x1=126.5,bottom=167.4``.
Pages are rendered with pypdfium2; the boxes are drawn by the page as SVG rectangles in
the same point coordinates, so no scaling happens in Python.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import pypdfium2

from parsers.pdf import _PDFIUM_LOCK  # PDFium is not thread-safe; share the parsers' lock

logger = logging.getLogger(__name__)

RENDER_SCALE = 2.0  # 144 dpi: sharp enough to read small print on a review screen
MAX_PAGES = 20

_BOX = re.compile(
    r"^attachment\[(?P<index>\d+)\]:.*#page=(?P<page>\d+);x0=(?P<x0>[\d.]+),top=(?P<top>[\d.]+),x1=(?P<x1>[\d.]+),bottom=(?P<bottom>[\d.]+)$",
    re.DOTALL,
)
_BODY_LINE = re.compile(r"^body:text#line=(\d+)$")


class PdfRenderError(Exception):
    """The bytes are not a PDF that PDFium can render, or the page does not exist."""


@dataclass(frozen=True)
class Box:
    attachment_index: int
    page: int  # 1-based
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return max(self.x1 - self.x0, 1.0)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


def parse_box(source: str) -> Box | None:
    match = _BOX.match(source or "")
    if match is None:
        return None
    return Box(
        int(match["index"]), int(match["page"]), float(match["x0"]), float(match["top"]), float(match["x1"]), float(match["bottom"])
    )


def body_line(source: str) -> int | None:
    """Return the 1-based line of the text body a source points at, if it is one."""
    match = _BODY_LINE.match(source or "")
    return int(match.group(1)) if match else None


@lru_cache(maxsize=16)
def page_sizes(data: bytes) -> tuple[tuple[float, float], ...]:
    """Return (width, height) in points of the first `MAX_PAGES` pages."""
    with _PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as error:
            raise PdfRenderError(str(error)) from error
        try:
            return tuple(tuple(document[index].get_size()) for index in range(min(len(document), MAX_PAGES)))  # type: ignore[misc]
        finally:
            document.close()


@lru_cache(maxsize=16)
def render_page_png(data: bytes, page: int) -> bytes:
    """Render 1-based `page` as PNG at `RENDER_SCALE`; raise PdfRenderError when impossible."""
    if not 1 <= page <= MAX_PAGES:
        raise PdfRenderError(f"page {page} out of range")
    with _PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as error:
            raise PdfRenderError(str(error)) from error
        try:
            if page > len(document):
                raise PdfRenderError(f"page {page} of {len(document)}")
            image = document[page - 1].render(scale=RENDER_SCALE).to_pil()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
