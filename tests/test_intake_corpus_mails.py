"""Every public real-world and malformed mail ends in exactly one recorded outcome."""

from __future__ import annotations

import pytest
from shared_paths import SHARED, requires_shared
from sqlalchemy import select

from daemon.context import DaemonContext
from daemon.intake_worker import IntakeWorker
from daemon.settings import load_settings
from dossiers.clients import register_client
from dossiers.inbound import RawMessage, store_raw
from dossiers.migrate import upgrade
from dossiers.models import InboundMessage, ReviewItem

pytestmark = [pytest.mark.corpus, pytest.mark.slow, requires_shared()]


def test_corpus_mails_each_get_one_outcome(daemon_env: dict[str, str]) -> None:
    if "postgresql" in daemon_env["INCASSO_DATABASE_URL"]:
        pytest.skip("one store is enough for the parser-heavy corpus run")
    context = DaemonContext.from_settings(load_settings(environ=daemon_env))
    upgrade(context.engine)
    paths = sorted((SHARED / "corpus" / "emails").glob("*.eml")) + sorted((SHARED / "cases").glob("*.eml"))
    with context.session() as session:
        # One known client, so that some corpus mails take the claim path too.
        register_client(session, "administratie@example.nl", name="Installatiebedrijf Hoekstra B.V.", now=context.clock.now())
        for index, path in enumerate(paths):
            store_raw(session, RawMessage(f"corpus#{path.name}", path.name, "corpus", 0, None, path.read_bytes()), context.clock.now())
        session.commit()

    worker = IntakeWorker(context)
    while worker.run_once():
        pass

    with context.session() as session:
        rows = session.execute(select(InboundMessage)).scalars().all()
        assert len(rows) == len(paths)
        for row in rows:
            assert row.status == "done", row.source_key
            assert row.outcome in ("dossier", "review", "ignored"), row.source_key
            assert row.attempts == 1, (row.source_key, row.last_error)
            if row.outcome == "ignored":
                assert row.reason, row.source_key
            if row.outcome == "review":
                item = session.execute(select(ReviewItem).where(ReviewItem.inbound_id == row.id)).scalar_one()
                assert item.reasons, row.source_key
        failures = [row.source_key for row in rows if (row.reason or "").startswith("intake_failed")]
        assert failures == []
    context.close()
