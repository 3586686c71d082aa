"""Layout helpers shared by the PDF and mail-body extractors: segments, blocks and labelled values.

A line of words is cut into segments at wide horizontal gaps (the columns of a letter
head), and segments that sit under each other form blocks (an address, a footer). A
label is found by a regular expression over a line's text, and its value is looked for
to its right on the same line or directly below it in the same column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.dutch import POSTCODE_CITY, normalise_postcode
from parsers.pdf import Line, Word, group_lines

# Gap between words, in multiples of the word height, that separates two columns.
COLUMN_GAP = 2.2


@dataclass(frozen=True)
class Segment:
    """Consecutive words of one line that belong to one column."""

    words: tuple[Word, ...]
    page: int
    line_index: int

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.words)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    @property
    def confidence(self) -> float:
        return min(word.confidence for word in self.words)


@dataclass(frozen=True)
class Block:
    """Segments stacked in one column with no more than a blank line between them."""

    segments: tuple[Segment, ...]

    @property
    def lines(self) -> list[str]:
        return [segment.text for segment in self.segments]

    @property
    def x0(self) -> float:
        return min(segment.x0 for segment in self.segments)

    @property
    def top(self) -> float:
        return self.segments[0].top

    @property
    def page(self) -> int:
        return self.segments[0].page


def split_segments(line: Line, page: int, line_index: int) -> list[Segment]:
    """Cut a line into segments where the gap between two words is wider than a column gap."""
    segments: list[Segment] = []
    current: list[Word] = []
    for word in line.words:
        if current:
            previous = current[-1]
            height = max(previous.bottom - previous.top, word.bottom - word.top, 1.0)
            if word.x0 - previous.x1 > height * COLUMN_GAP:
                segments.append(Segment(tuple(current), page, line_index))
                current = []
        current.append(word)
    if current:
        segments.append(Segment(tuple(current), page, line_index))
    return segments


def build_blocks(segments: list[Segment]) -> list[Block]:
    """Stack segments into blocks by left edge and vertical distance, top to bottom."""
    blocks: list[list[Segment]] = []
    for segment in sorted(segments, key=lambda item: (item.page, item.top, item.x0)):
        target = None
        for block in blocks:
            last = block[-1]
            if last.page != segment.page:
                continue
            aligned = abs(last.x0 - segment.x0) < max(last.height, 6.0) * 1.2
            close = -last.height * 0.5 <= segment.top - last.bottom < max(last.height, segment.height) * 2.0
            if aligned and close:
                target = block
        if target is None:
            blocks.append([segment])
        else:
            target.append(segment)
    result: list[Block] = []
    for block in blocks:
        result.extend(_split_two_addresses(Block(tuple(block))))
    return result


def _split_two_addresses(block: Block) -> list[Block]:
    """Split a block that holds two addresses (a letter head directly above the buyer's address).

    The cut goes at the widest line gap between the first postcode line and the line
    before the second one.
    """
    postcode_rows = [
        index
        for index, segment in enumerate(block.segments)
        if (match := POSTCODE_CITY.search(segment.text)) and normalise_postcode(match.group("postcode"))
    ]
    if len(postcode_rows) < 2:
        return [block]
    first, second = postcode_rows[0], postcode_rows[1]
    if second - first < 2:
        return [block]
    gaps = [
        (block.segments[index + 1].top - block.segments[index].top, index + 1)
        for index in range(first, second - 1)
    ]
    _, cut = max(gaps)
    head = Block(block.segments[:cut])
    return [head, *_split_two_addresses(Block(block.segments[cut:]))]


def text_lines(text: str) -> list[Line]:
    """Turn plain text into lines of words with positions: x is the column, top the line number."""
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines()):
        words = [
            Word(match.group(0), float(match.start()), number * 12.0, float(match.end()), number * 12.0 + 10.0)
            for match in re.finditer(r"\S+", raw.replace("\u00a0", " "))
        ]
        if words:
            lines.extend(group_lines(words))
    return lines


@dataclass(frozen=True)
class LabelHit:
    """A label found in a line, with the words after it on the same line."""

    kind: str
    strength: float
    line_index: int
    label_words: tuple[Word, ...]
    after: tuple[Word, ...]


def find_label(line: Line, pattern: re.Pattern[str]) -> tuple[tuple[Word, ...], tuple[Word, ...]] | None:
    """Find `pattern` in the line text; return the words it covers and the words after it."""
    text = line.text
    match = pattern.search(text)
    if not match:
        return None
    starts: list[int] = []
    position = 0
    for word in line.words:
        starts.append(position)
        position += len(word.text) + 1
    covered = [
        word
        for word, start in zip(line.words, starts)
        if start < match.end() and start + len(word.text) > match.start()
    ]
    after = [word for word, start in zip(line.words, starts) if start >= match.end()]
    # A label that ends inside a word ("Factuurnummer:2024-01") leaves the rest of that word as a value.
    if covered:
        last = covered[-1]
        last_start = starts[line.words.index(last)]
        rest = last.text[match.end() - last_start :].lstrip(":# ")
        if rest and match.end() - last_start < len(last.text):
            after.insert(0, Word(rest, last.x0, last.top, last.x1, last.bottom, last.confidence))
    return tuple(covered), tuple(after)


def words_below(lines: list[Line], line_index: int, label_words: tuple[Word, ...], neighbours: tuple[Word, ...] = ()) -> tuple[Word, ...]:
    """Return the words of the next line that sit under the label (a column header and its value)."""
    if line_index + 1 >= len(lines) or not label_words:
        return ()
    label_line = lines[line_index]
    below = lines[line_index + 1]
    height = max(label_line.bottom - label_line.top, 1.0)
    if below.top - label_line.bottom > height * 2.5:
        return ()
    left = label_words[0].x0
    right = label_words[-1].x1
    others = [word for word in label_line.words if word not in label_words and word not in neighbours]
    left_limit = max((word.x1 for word in others if word.x1 <= left), default=left - 60)
    right_limit = min((word.x0 for word in others if word.x0 >= right), default=right + 120)
    chosen = [
        word
        for word in below.words
        if word.x1 > left_limit + 1 and word.x0 < right_limit - 1 and (word.x1 > left - 25 and word.x0 < right + 60)
    ]
    return tuple(chosen)
