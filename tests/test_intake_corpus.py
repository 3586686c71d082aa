"""Real Dutch invoices from the public corpus, sent in as a client would, through intake.

Each PDF is wrapped in a plain client mail and processed by the real intake worker. A
dossier may only be opened with the invoice number and amount that are on the
invoice; otherwise the message must land in review with at least one reason.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from shared_paths import SHARED, requires_shared
from sqlalchemy import select

from daemon.context import DaemonContext
from daemon.intake_worker import IntakeWorker
from daemon.settings import load_settings
from dossiers.clients import register_client
from dossiers.inbound import RawMessage, store_raw
from dossiers.migrate import upgrade
from dossiers.models import Dossier, InboundMessage, ReviewItem

pytestmark = [pytest.mark.corpus, requires_shared()]

# Dutch invoices in the corpus with the invoice number and total printed on them (from
# the corpus' expected-value files, or read off the PDF where there is none).
DUTCH_INVOICES = {
    "i2d_coolblue1.pdf": ("993548900", Decimal("717.97")),
    "i2d_coolblue2.pdf": ("992288600", Decimal("4904.94")),
    "i2d_saeco.pdf": ("VF1005193039", Decimal("49.99")),
    "i2d_camelot-bol100649863.pdf": ("8587333880016", Decimal("189.00")),
    "i2d_camelot-example.pdf": (None, None),  # a payment overview, not an invoice
    "eluinstra_UBL_1.1_render.pdf": ("1587968432", Decimal("0.11")),
    "oca_efff_BE0505890632_16117778_embedded.pdf": ("16117778", Decimal("37.51")),
}


def client_mail(pdf_name: str, index: int) -> bytes:
    message = EmailMessage()
    message["From"] = "Boekhouding <boekhouding@klant-voorbeeld.nl>"
    message["To"] = "info@alertincasso.nl"
    message["Subject"] = f"Onbetaalde factuur uit handen geven ({index})"
    message["Date"] = format_datetime(datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    message["Message-ID"] = f"<corpus-{index}@klant-voorbeeld.nl>"
    message.set_content("Beste,\n\nBijgaand een factuur die ondanks herinneringen niet is betaald.\n\nMet vriendelijke groet,\nBoekhouding\n")
    pdf = (SHARED / "corpus" / "invoices_pdf" / pdf_name).read_bytes()
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    return message.as_bytes()


@pytest.fixture
def context(daemon_env: dict[str, str]):  # type: ignore[no-untyped-def]
    context = DaemonContext.from_settings(load_settings(environ=daemon_env))
    upgrade(context.engine)
    with context.session() as session:
        register_client(session, "boekhouding@klant-voorbeeld.nl", name="Klant Voorbeeld B.V.", now=context.clock.now())
        session.commit()
    yield context
    context.close()


@pytest.mark.parametrize("pdf_name", sorted(DUTCH_INVOICES))
def test_dutch_corpus_invoice_is_right_or_reviewed(context: DaemonContext, pdf_name: str) -> None:
    index = sorted(DUTCH_INVOICES).index(pdf_name)
    raw = client_mail(pdf_name, index)
    with context.session() as session:
        store_raw(session, RawMessage(f"test#{index}", str(index), "test", 0, None, raw), context.clock.now())
        session.commit()

    assert IntakeWorker(context).run_once() == 1

    expected_number, expected_total = DUTCH_INVOICES[pdf_name]
    with context.session() as session:
        inbound = session.execute(select(InboundMessage)).scalar_one()
        assert inbound.status == "done"
        if inbound.outcome == "dossier":
            dossier = session.get(Dossier, inbound.dossier_id)
            assert dossier is not None
            claims = [(claim.invoice_number, claim.principal) for claim in dossier.claims]
            assert expected_number is not None, f"{pdf_name}: opened a dossier for {claims} without known values"
            assert claims == [(expected_number, expected_total)]
        else:
            assert inbound.outcome == "review", inbound.reason
            item = session.execute(select(ReviewItem)).scalar_one()
            assert item.reasons, pdf_name
            assert all(reason["message"] for reason in item.reasons)
            if item.dossier_id is not None:
                dossier = session.get(Dossier, item.dossier_id)
                assert dossier is not None and dossier.status == "review"
                for claim in dossier.claims:
                    if expected_number is not None and claim.invoice_number == expected_number:
                        assert claim.total in (expected_total, None)
