"""Staff corrections of extracted fields, and what they teach about a client's invoices.

Every correction is kept with the value before and after, the place in the document the
value was read from (or found at by staff), the label printed before it, who made it
and when. `client_hints` condenses a client's corrections into `parsers.model.ClientHints`,
which the extractor uses to read the next invoice of that client better.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dossiers.models import Base, Client, UtcDateTime
from parsers.model import ClientHints, LearnedLabel, LearnedPosition

logger = logging.getLogger(__name__)

# Report paths of invoice fields (`invoices[0].amount_total`) -> InvoiceFields names.
INVOICE_FIELDS = {
    "number": "number",
    "date": "date",
    "due_date": "due_date",
    "amount_total": "total",
    "amount_vat": "vat",
    "amount_outstanding": "outstanding",
}
CLIENT_FIELDS = ("name", "kvk", "vat_id", "iban", "street", "postcode", "city")
_INVOICE_PATH = re.compile(r"^invoices\[(\d+)\]\.(\w+)$")
_BOX = re.compile(r"#page=(\d+);x0=([\d.]+),top=([\d.]+),x1=([\d.]+),bottom=([\d.]+)")
# Positions closer than this many points count as one place on the page.
POSITION_TOLERANCE = 6.0


class FieldCorrection(Base):
    """One field of an extraction that staff corrected."""

    __tablename__ = "field_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_email: Mapped[str] = mapped_column(String(320), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    review_item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id"))
    field: Mapped[str] = mapped_column(String(100))  # report path, e.g. "invoices[0].due_date"
    value_before: Mapped[str | None] = mapped_column(Text)
    value_after: Mapped[str] = mapped_column(Text)
    # Where the corrected value is printed ("attachment[0]:F.pdf#page=1;x0=…"), empty when unknown.
    source: Mapped[str | None] = mapped_column(Text)
    # The label printed before the corrected value on that line or above it, e.g. "Ons kenmerk".
    label: Mapped[str | None] = mapped_column(String(200))
    corrected_by: Mapped[str] = mapped_column(String(100))
    corrected_at: Mapped[datetime] = mapped_column(UtcDateTime)


def invoice_field_name(path: str) -> str | None:
    """Return the InvoiceFields name of a report path ("invoices[1].amount_total" -> "total")."""
    match = _INVOICE_PATH.match(path)
    return INVOICE_FIELDS.get(match.group(2)) if match else None


def record_correction(
    session: Session,
    *,
    client_email: str,
    field: str,
    value_before: str | None,
    value_after: str,
    corrected_by: str,
    at: datetime,
    source: str | None = None,
    label: str | None = None,
    client_id: int | None = None,
    dossier_id: int | None = None,
    review_item_id: int | None = None,
) -> FieldCorrection:
    """Store one correction in the caller's transaction and return it.

    `client_email` is the sender the corrected extraction came from; hints are looked
    up by it. Raises ValueError for a field path that is not a client, debtor or
    invoice field of the extraction report.
    """
    if not (field.startswith(("client.", "debtor.")) or _INVOICE_PATH.match(field)):
        raise ValueError(f"invalid field path {field!r}; expected e.g. client.kvk, debtor.name or invoices[0].due_date")
    if client_id is None and client_email:
        client_id = session.execute(select(Client.id).where(Client.email == client_email.lower())).scalar_one_or_none()
    correction = FieldCorrection(
        client_email=client_email.lower(),
        client_id=client_id,
        dossier_id=dossier_id,
        review_item_id=review_item_id,
        field=field,
        value_before=value_before,
        value_after=value_after,
        source=source or None,
        label=(label or "").strip()[:200] or None,
        corrected_by=corrected_by[:100],
        corrected_at=at,
    )
    session.add(correction)
    session.flush()
    logger.info("correction %s stored for field %s (review item %s)", correction.id, field, review_item_id)
    return correction


def client_hints(session: Session, client_email: str) -> ClientHints:
    """Condense the corrections of one client (by sender address) into hints for the extractor.

    Client values are the latest correction of each field, else the trusted values
    stored on the client; labels and positions count how often staff corrected a field
    to a value printed under that label or at that place.
    """
    email = client_email.lower()
    corrections = list(
        session.execute(
            select(FieldCorrection).where(FieldCorrection.client_email == email).order_by(FieldCorrection.corrected_at, FieldCorrection.id)
        ).scalars()
    )
    client = session.execute(select(Client).where(Client.email == email)).scalar_one_or_none()

    party: dict[str, str] = {}
    if client is not None:
        for name in ("kvk", "vat_id", "iban", "street", "postcode", "city"):
            value = getattr(client, name)
            if value:
                party[name] = value
    for correction in corrections:
        if correction.field.startswith("client."):
            name = correction.field.removeprefix("client.")
            if name in CLIENT_FIELDS and correction.value_after:
                party[name] = correction.value_after

    label_counts: Counter[tuple[str, str]] = Counter()
    positions: list[list[object]] = []
    for correction in corrections:
        kind = invoice_field_name(correction.field)
        if kind is None:
            continue
        if correction.label:
            label_counts[(kind, correction.label.strip().rstrip(":").lower())] += 1
        box = _BOX.search(correction.source or "")
        if box:
            _count_position(positions, kind, int(box.group(1)), tuple(float(box.group(i)) for i in range(2, 6)))

    labels = tuple(LearnedLabel(kind, label, count) for (kind, label), count in sorted(label_counts.items()))
    learned_positions = tuple(
        LearnedPosition(str(kind), int(page), *box, corrections=int(count))  # type: ignore[arg-type]
        for kind, page, box, count in positions
    )
    return ClientHints(
        client_email=email,
        name=party.get("name"),
        kvk=party.get("kvk"),
        vat_id=party.get("vat_id"),
        iban=party.get("iban"),
        street=party.get("street"),
        postcode=party.get("postcode"),
        city=party.get("city"),
        labels=labels,
        positions=learned_positions,
    )


def _count_position(positions: list[list[object]], kind: str, page: int, box: tuple[float, ...]) -> None:
    for entry in positions:
        if entry[0] == kind and entry[1] == page:
            known = entry[2]
            assert isinstance(known, tuple)
            if abs(known[0] - box[0]) < POSITION_TOLERANCE and abs(known[1] - box[1]) < POSITION_TOLERANCE:
                entry[3] = int(entry[3]) + 1  # type: ignore[call-overload]
                return
    positions.append([kind, page, box, 1])
