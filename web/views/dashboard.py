"""The dashboard: open dossiers per phase, amounts, work waiting for staff, mailbox health."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import func, select

from dossiers.ledger import PaymentRow, StaffTaskRow
from dossiers.models import Claim, Dossier, MailboxState, OutboxItem, ReviewItem
from web.security import db
from web.views.common import context

blueprint = Blueprint("dashboard", __name__)

PHASE_LABELS = {0: "Nog niet gestart", 1: "Fase 1: ingebrekestelling", 2: "Fase 2: sommatie", 3: "Fase 3: bellen en aankondiging", 4: "Fase 4: procedure"}
CHART_WIDTH = 480
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 220


def dashboard_numbers() -> dict[str, Any]:
    database = db()
    per_phase = dict(
        database.execute(
            select(Dossier.phase, func.count()).where(Dossier.status.in_(("active", "review"))).group_by(Dossier.phase)
        ).all()
    )
    per_status = dict(database.execute(select(Dossier.status, func.count()).group_by(Dossier.status)).all())
    principal_open = database.execute(
        select(func.sum(Claim.principal)).join(Dossier, Dossier.id == Claim.dossier_id).where(Dossier.status.in_(("active", "review")))
    ).scalar_one()
    collected = database.execute(select(func.sum(PaymentRow.amount))).scalar_one()
    review_counts = dict(
        database.execute(select(ReviewItem.kind, func.count()).where(ReviewItem.status == "open").group_by(ReviewItem.kind)).all()
    )
    open_tasks = database.execute(select(func.count()).select_from(StaffTaskRow).where(StaffTaskRow.status == "open")).scalar_one()
    outbox = dict(database.execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all())
    mailboxes = list(database.execute(select(MailboxState).order_by(MailboxState.mailbox)).scalars())
    return {
        "per_phase": {phase: int(per_phase.get(phase, 0)) for phase in PHASE_LABELS},
        "per_status": {status: int(count) for status, count in per_status.items()},
        "principal_open": _money(principal_open),
        "collected": _money(collected),
        "review_counts": {kind: int(count) for kind, count in review_counts.items()},
        "open_tasks": int(open_tasks),
        "outbox": {status: int(count) for status, count in outbox.items()},
        "mailboxes": mailboxes,
    }


def _money(value: Decimal | None) -> Decimal:
    # SUM over a Money column is read back through the Money type, so it is in euros.
    return Decimal("0.00") if value is None else value


def phase_chart(per_phase: dict[int, int]) -> dict[str, Any]:
    """Bar geometry for the inline SVG chart of open dossiers per phase."""
    largest = max(per_phase.values(), default=0) or 1
    bars = []
    for row, (phase, count) in enumerate(per_phase.items()):
        width = round((CHART_WIDTH - LABEL_WIDTH - 40) * count / largest, 1)
        bars.append({"label": PHASE_LABELS[phase], "count": count, "y": row * (BAR_HEIGHT + BAR_GAP), "width": width})
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": len(bars) * (BAR_HEIGHT + BAR_GAP),
        "bar_height": BAR_HEIGHT,
        "label_width": LABEL_WIDTH,
    }


@blueprint.route("/")
def index() -> Any:
    numbers = dashboard_numbers()
    return render_template("web/dashboard.html", numbers=numbers, chart=phase_chart(numbers["per_phase"]), now=context().clock.now())
