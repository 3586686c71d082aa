"""The client portal through Flask's test client: pages, actions and isolation between clients.

The example mails run through the real daemon once per module (see web.testing); each
test works on its own copy of that SQLite file. Client A is the example client with the
fewest dossiers (at least two), client B the one with the most.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from conftest import TODAY
from daemon.context import DaemonContext
from daemon.settings import load_settings
from dossiers.ledger import CourtConsentRow, HoldRow
from dossiers.models import Client, Document, Dossier, Event, InboundMessage, Letter, ReviewItem
from dossiers.users import create_user, issue_token, set_password_with_token
from web.app import create_app
from web.testing import STAFF_EMAIL, STAFF_PASSWORD, SeededDesk, desk_environment, seed_desk

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD_A = "klant-a-wachtwoord-2026"
PASSWORD_B = "klant-b-wachtwoord-2026"
USER_A = "debiteuren@klant-a.example"
USER_B = "debiteuren@klant-b.example"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Portal:
    app: Flask
    context: DaemonContext
    tmp_path: Path
    client_a: int
    client_b: int

    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeededDesk]:
    base = tmp_path_factory.mktemp("portal")
    seed = seed_desk(base, f"sqlite:///{base / 'incasso.db'}", TODAY)
    now = datetime.now(timezone.utc)
    with seed.context.session() as session:
        counts = session.execute(select(Dossier.client_id, func.count()).group_by(Dossier.client_id).order_by(Dossier.client_id)).all()
        by_count = sorted(counts, key=lambda row: (row[1], row[0]))
        client_a = next(client_id for client_id, count in by_count if count >= 2)
        client_b = next(client_id for client_id, count in reversed(by_count) if client_id != client_a)
        for email, client_id, password in ((USER_A, client_a, PASSWORD_A), (USER_B, client_b, PASSWORD_B)):
            user = create_user(session, email, "client", now=now, actor="test", client_id=client_id)
            set_password_with_token(session, issue_token(session, user, now=now).token, password, now=now)
        session.commit()
    seed.context.close()
    return base, seed


@pytest.fixture
def portal(seeded: tuple[Path, SeededDesk], tmp_path: Path) -> Iterator[Portal]:
    base, _ = seeded
    for path in base.glob("incasso.db*"):
        shutil.copy(path, tmp_path / path.name)
    environment = desk_environment(tmp_path, f"sqlite:///{tmp_path / 'incasso.db'}", TODAY)
    context = DaemonContext.from_settings(load_settings(environ=environment))
    from dossiers.users import User

    with context.session() as session:
        client_a = session.execute(select(User.client_id).where(User.email == USER_A)).scalar_one()
        client_b = session.execute(select(User.client_id).where(User.email == USER_B)).scalar_one()
    app = create_app(context=context, testing=True)
    yield Portal(app, context, tmp_path, client_a, client_b)
    context.close()


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str) -> tuple[str, str]:
    """Log in and return the redirect target and the session's CSRF token."""
    token = csrf_of(client.get("/inloggen").get_data(as_text=True))
    response = client.post("/inloggen", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    target = response.headers["Location"]
    return target, csrf_of(client.get(target).get_data(as_text=True))


def login_a(portal: Portal) -> tuple[FlaskClient, str]:
    client = portal.client()
    _, token = login(client, USER_A, PASSWORD_A)
    return client, token


def numbers_of(portal: Portal, client_id: int) -> list[str]:
    with portal.context.session() as session:
        return list(session.execute(select(Dossier.number).where(Dossier.client_id == client_id).order_by(Dossier.id)).scalars())


def active_number(portal: Portal, client_id: int) -> str:
    with portal.context.session() as session:
        return session.execute(
            select(Dossier.number).where(Dossier.client_id == client_id, Dossier.status == "active").order_by(Dossier.id)
        ).scalars().first()  # type: ignore[return-value]


def events(portal: Portal, kind: str) -> list[Event]:
    with portal.context.session() as session:
        return list(session.execute(select(Event).where(Event.kind == kind).order_by(Event.id)).scalars())


def first_id(portal: Portal, model: type, client_id: int) -> int:
    with portal.context.session() as session:
        query = select(model.id).join(Dossier, Dossier.id == model.dossier_id).where(Dossier.client_id == client_id).order_by(model.id)
        return int(session.execute(query).scalars().first())


# --- login and pages ---------------------------------------------------------------


def test_client_login_lands_on_portal(portal: Portal) -> None:
    client = portal.client()
    target, _ = login(client, USER_A, PASSWORD_A)
    assert target == "/portaal/"
    page = client.get("/portaal/").get_data(as_text=True)
    assert USER_A in page
    assert "Mijn dossiers" in page


def test_staff_login_still_lands_on_desk(portal: Portal) -> None:
    client = portal.client()
    target, _ = login(client, STAFF_EMAIL, STAFF_PASSWORD)
    assert target == "/"
    assert client.get("/portaal/").status_code == 403


def test_portal_needs_login(portal: Portal) -> None:
    response = portal.client().get("/portaal/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/inloggen?next=")


def test_list_shows_only_own_dossiers(portal: Portal) -> None:
    client, _ = login_a(portal)
    page = client.get("/portaal/").get_data(as_text=True)
    own = numbers_of(portal, portal.client_a)
    others = numbers_of(portal, portal.client_b)
    for number in own:
        assert number in page
    for number in others:
        assert number not in page


def test_list_filters_by_status_and_search(portal: Portal) -> None:
    client, _ = login_a(portal)
    with portal.context.session() as session:
        review = session.execute(select(Dossier).where(Dossier.client_id == portal.client_a, Dossier.status == "review")).scalars().first()
        active = session.execute(select(Dossier).where(Dossier.client_id == portal.client_a, Dossier.status == "active")).scalars().first()
        assert review is not None and active is not None
        review_number, active_number_ = review.number, active.number
        invoice = active.claims[0].invoice_number
    page = client.get("/portaal/?status=controle").get_data(as_text=True)
    assert review_number in page
    assert active_number_ not in page
    page = client.get(f"/portaal/?q={invoice}").get_data(as_text=True)
    assert active_number_ in page
    assert review_number not in page


def test_export_has_only_own_rows(portal: Portal) -> None:
    client, _ = login_a(portal)
    response = client.get("/portaal/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Dossiernummer"
    assert sorted(row[0] for row in rows[1:]) == sorted(numbers_of(portal, portal.client_a))


def test_export_with_other_clients_number_is_empty(portal: Portal) -> None:
    client, _ = login_a(portal)
    other = numbers_of(portal, portal.client_b)[0]
    response = client.get(f"/portaal/export.csv?q={other}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[1:] == []


def test_export_quotes_formula_cells(portal: Portal) -> None:
    with portal.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.client_id == portal.client_a).order_by(Dossier.id)).scalars().first()
        dossier.debtor.name = '=HYPERLINK("https://evil.example","klik")'
        session.commit()
    client, _ = login_a(portal)
    text = client.get("/portaal/export.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    debtors = [row[1] for row in rows[1:]]
    assert "'=HYPERLINK(\"https://evil.example\",\"klik\")" in debtors
    assert not any(name.startswith("=") for name in debtors)


def test_dossier_page_shows_balance_timeline_costs(portal: Portal) -> None:
    client, _ = login_a(portal)
    number = active_number(portal, portal.client_a)
    response = client.get(f"/portaal/dossiers/{number}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Stand op" in page
    assert "Brief verstuurd: Ingebrekestelling" in page or "Brief verstuurd: Aanmaning" in page
    assert "Uw kosten (Losse opdracht)" in page
    assert "€\xa035,00" in page
    assert "letter_issued" not in page
    viewed = events(portal, "portal_dossier_viewed")
    assert [event.actor for event in viewed] == [USER_A]


def test_letter_and_document_download(portal: Portal) -> None:
    client, _ = login_a(portal)
    letter_id = first_id(portal, Letter, portal.client_a)
    response = client.get(f"/portaal/brieven/{letter_id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    document_id = first_id(portal, Document, portal.client_a)
    response = client.get(f"/portaal/documenten/{document_id}")
    assert response.status_code == 200
    assert len(events(portal, "portal_letter_downloaded")) == 1
    assert len(events(portal, "portal_document_downloaded")) == 1


def test_security_headers_on_portal(portal: Portal) -> None:
    client, _ = login_a(portal)
    response = client.get("/portaal/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == "no-store"


def test_staff_pages_closed_to_client(portal: Portal) -> None:
    client, _ = login_a(portal)
    for path in ("/", "/controle", "/dossiers", "/taken", f"/dossiers/{active_number(portal, portal.client_a)}", "/documenten/1", "/brieven/1.pdf"):
        assert client.get(path).status_code == 403, path


# --- isolation between clients -----------------------------------------------------


def cross_client_requests(portal: Portal) -> list[tuple[str, str, dict[str, object]]]:
    number = active_number(portal, portal.client_b)
    letter_id = first_id(portal, Letter, portal.client_b)
    document_id = first_id(portal, Document, portal.client_b)
    return [
        ("GET", f"/portaal/dossiers/{number}", {}),
        ("GET", f"/portaal/dossiers/{number.replace('-', '')}", {}),
        ("GET", f"/portaal/brieven/{letter_id}.pdf", {}),
        ("GET", f"/portaal/documenten/{document_id}", {}),
        ("POST", f"/portaal/dossiers/{number}/document", {"kind": "invoice", "file": (io.BytesIO(PDF), "factuur.pdf")}),
        ("POST", f"/portaal/dossiers/{number}/betaling", {"amount": "10,00"}),
        ("POST", f"/portaal/dossiers/{number}/intrekken", {"reason": "test", "confirm": "ja"}),
        ("POST", f"/portaal/dossiers/{number}/toestemming", {"confirm": "ja"}),
    ]


def test_other_clients_rows_answer_404_and_are_logged(portal: Portal) -> None:
    client, token = login_a(portal)
    requests = cross_client_requests(portal)
    for method, path, data in requests:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={**data, "csrf_token": token}, content_type="multipart/form-data")
        assert response.status_code == 404, path
        assert "bestaat niet" in response.get_data(as_text=True)
    denied = events(portal, "portal_access_denied")
    assert len(denied) == len(requests)
    assert {event.actor for event in denied} == {USER_A}
    assert all(event.data["client_id"] == portal.client_a for event in denied)


def test_other_clients_rows_unchanged_after_attempts(portal: Portal) -> None:
    client, token = login_a(portal)
    for method, path, data in cross_client_requests(portal):
        if method == "POST":
            client.post(path, data={**data, "csrf_token": token}, content_type="multipart/form-data")
    with portal.context.session() as session:
        b_ids = select(Dossier.id).where(Dossier.client_id == portal.client_b)
        assert session.execute(select(func.count()).select_from(HoldRow).where(HoldRow.dossier_id.in_(b_ids))).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(CourtConsentRow).where(CourtConsentRow.dossier_id.in_(b_ids))).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(InboundMessage).where(InboundMessage.mailbox == "portal")).scalar_one() == 0
        portal_events = select(func.count()).select_from(Event).where(Event.kind.like("portal_%"), Event.kind != "portal_access_denied")
        assert session.execute(portal_events).scalar_one() == 0


def test_unknown_number_and_ids_answer_404(portal: Portal) -> None:
    client, _ = login_a(portal)
    for path in ("/portaal/dossiers/2099-999999-9", "/portaal/dossiers/niets", "/portaal/brieven/99999.pdf", "/portaal/documenten/99999"):
        assert client.get(path).status_code == 404, path
    assert len(events(portal, "portal_access_denied")) == 4


def test_document_without_dossier_is_not_served(portal: Portal) -> None:
    with portal.context.session() as session:
        loose = session.execute(select(Document.id).where(Document.dossier_id.is_(None))).scalars().first()
    assert loose is not None
    client, _ = login_a(portal)
    assert client.get(f"/portaal/documenten/{loose}").status_code == 404


# --- actions -----------------------------------------------------------------------


def test_upload_stores_document_and_followup(portal: Portal) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    response = client.post(
        f"/portaal/dossiers/{number}/document",
        data={"csrf_token": token, "kind": "contract", "file": (io.BytesIO(PDF), "opdrachtbevestiging.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with portal.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        document = session.execute(select(Document).where(Document.dossier_id == dossier.id, Document.kind == "contract")).scalar_one()
        assert document.filename == "opdrachtbevestiging.pdf"
        assert document.content_type == "application/pdf"
        import hashlib

        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
        item = session.execute(select(ReviewItem).where(ReviewItem.dossier_id == dossier.id, ReviewItem.kind == "followup", ReviewItem.status == "open")).scalar_one()
        assert item.reasons[0]["code"] == "portal_document"
        assert item.inbound_id == document.inbound_id
    uploaded = events(portal, "portal_document_uploaded")
    assert [event.actor for event in uploaded] == [USER_A]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "factuur.pdf", "Alleen PDF-, PNG- en JPEG-bestanden"),
        (b"", "leeg.pdf", "Kies een bestand"),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "groot.pdf", "te groot"),
    ],
)
def test_upload_rejects_bad_files(portal: Portal, data: bytes, filename: str, message: str) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    response = client.post(
        f"/portaal/dossiers/{number}/document",
        data={"csrf_token": token, "kind": "other", "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert message in response.get_data(as_text=True)
    with portal.context.session() as session:
        assert session.execute(select(func.count()).select_from(Document).where(Document.kind == "other")).scalar_one() == 0
    assert events(portal, "portal_document_uploaded") == []


def test_upload_needs_csrf(portal: Portal) -> None:
    client, _ = login_a(portal)
    number = active_number(portal, portal.client_a)
    response = client.post(
        f"/portaal/dossiers/{number}/document", data={"kind": "other", "file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400


def test_payment_report_creates_staff_task(portal: Portal) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    response = client.post(f"/portaal/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "125,50", "paid_on": TODAY.isoformat()})
    assert response.status_code == 302
    with portal.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        item = session.execute(select(ReviewItem).where(ReviewItem.dossier_id == dossier.id, ReviewItem.kind == "task", ReviewItem.status == "open")).scalar_one()
        assert "€ 125.50" in item.reasons[0]["message"]
    reported = events(portal, "portal_payment_reported")
    assert reported[0].data["amount"] == "125.50"
    assert reported[0].actor == USER_A


def test_payment_report_in_future_rejected(portal: Portal) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    page = client.post(
        f"/portaal/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "10,00", "paid_on": "2099-01-01"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "in de toekomst" in page
    assert events(portal, "portal_payment_reported") == []


def test_withdraw_holds_track_and_asks_staff(portal: Portal) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    response = client.post(f"/portaal/dossiers/{number}/intrekken", data={"csrf_token": token, "reason": "Zelf geregeld", "confirm": "ja"})
    assert response.status_code == 302
    with portal.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        hold = session.execute(select(HoldRow).where(HoldRow.dossier_id == dossier.id)).scalar_one()
        assert hold.kind == "staff"
        assert hold.lifted_on is None
        assert hold.started_by == USER_A
        codes = [item.reasons[0]["code"] for item in session.execute(select(ReviewItem).where(ReviewItem.dossier_id == dossier.id, ReviewItem.status == "open")).scalars()]
        assert "client_withdraws" in codes
    assert [event.actor for event in events(portal, "portal_claim_withdrawn")] == [USER_A]
    page = client.get(f"/portaal/dossiers/{number}").get_data(as_text=True)
    assert "Aangehouden" in page or "In behandeling" in page


def test_withdraw_needs_confirmation(portal: Portal) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    page = client.post(f"/portaal/dossiers/{number}/intrekken", data={"csrf_token": token, "reason": "x"}, follow_redirects=True).get_data(as_text=True)
    assert "Vink aan" in page
    with portal.context.session() as session:
        assert session.execute(select(func.count()).select_from(HoldRow)).scalar_one() == 0


def test_consent_recorded_through_ledger(portal: Portal) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    response = client.post(f"/portaal/dossiers/{number}/toestemming", data={"csrf_token": token, "confirm": "ja"})
    assert response.status_code == 302
    with portal.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        consent = session.get(CourtConsentRow, dossier.id)
        assert consent is not None
        assert consent.recorded_by == USER_A
        assert consent.consented_on == TODAY
    assert [event.actor for event in events(portal, "court_consent_recorded")] == [USER_A]
    assert "U heeft toestemming gegeven" in client.get(f"/portaal/dossiers/{number}").get_data(as_text=True)


def test_staff_sees_portal_task_in_queue(portal: Portal) -> None:
    client, token = login_a(portal)
    number = active_number(portal, portal.client_a)
    client.post(f"/portaal/dossiers/{number}/betaling", data={"csrf_token": token, "amount": "40,00"})
    staff = portal.client()
    login(staff, STAFF_EMAIL, STAFF_PASSWORD)
    page = staff.get("/controle").get_data(as_text=True)
    assert "rechtstreekse betaling" in page
    with portal.context.session() as session:
        item_id = session.execute(select(ReviewItem.id).where(ReviewItem.kind == "task").order_by(ReviewItem.id.desc())).scalars().first()
    assert staff.get(f"/controle/{item_id}").status_code == 200
    assert "Rechtstreekse betaling gemeld via het portaal" in staff.get(f"/dossiers/{number}").get_data(as_text=True)


# --- new claim ---------------------------------------------------------------------


def test_new_claim_feeds_intake(portal: Portal) -> None:
    from daemon.app import make_workers
    from daemon.runner import run_until_idle

    client, token = login_a(portal)
    assert client.get("/portaal/opdracht").status_code == 200
    data = {
        "csrf_token": token,
        "debtor_name": "Bouwbedrijf De Steiger B.V.",
        "debtor_kind": "business",
        "debtor_street": "Havenweg 12",
        "debtor_postcode_city": "3011 AB Rotterdam",
        "debtor_email": "administratie@desteiger.example",
        "invoice_0_number": "PORT-2026-001",
        "invoice_0_date": "2026-09-01",
        "invoice_0_due": "2026-10-01",
        "invoice_0_amount": "1.250,00",
    }
    response = client.post("/portaal/opdracht", data=data)
    assert response.status_code == 302
    with portal.context.session() as session:
        inbound = session.execute(select(InboundMessage).where(InboundMessage.source_key.like("portal#%"))).scalar_one()
        client_email = session.get(Client, portal.client_a).email  # type: ignore[union-attr]
        assert inbound.from_address == client_email
        assert inbound.status == "stored"
    workers = make_workers(portal.context)
    try:
        run_until_idle(workers.in_order())
    finally:
        workers.close()
    with portal.context.session() as session:
        inbound = session.execute(select(InboundMessage).where(InboundMessage.source_key.like("portal#%"))).scalar_one()
        assert inbound.status == "done"
        assert inbound.outcome == "dossier", inbound.reason
        dossier = session.get(Dossier, inbound.dossier_id)
        assert dossier is not None
        assert dossier.client_id == portal.client_a
        assert [claim.invoice_number for claim in dossier.claims] == ["PORT-2026-001"]
        assert dossier.claims[0].principal == Decimal("1250.00")
        assert dossier.debtor.name == "Bouwbedrijf De Steiger B.V."
    assert len(events(portal, "portal_claim_submitted")) == 1


def test_new_claim_without_invoice_rejected(portal: Portal) -> None:
    client, token = login_a(portal)
    response = client.post("/portaal/opdracht", data={"csrf_token": token, "debtor_name": "X B.V.", "debtor_kind": "business"})
    assert response.status_code == 400
    assert "minstens één factuur" in response.get_data(as_text=True)
    with portal.context.session() as session:
        assert session.execute(select(func.count()).select_from(InboundMessage).where(InboundMessage.source_key.like("portal#%"))).scalar_one() == 0


# --- password reset ----------------------------------------------------------------


def reset_mails(portal: Portal, email: str) -> list[str]:
    from dossiers.models import OutboxItem

    with portal.context.session() as session:
        items = session.execute(select(OutboxItem).where(OutboxItem.purpose == "account").order_by(OutboxItem.id)).scalars()
        return [item.raw.decode("utf-8", "replace") for item in items if item.recipients == [email] and item.raw]


def test_password_reset_link_sets_new_password(portal: Portal) -> None:
    client = portal.client()
    token = csrf_of(client.get("/wachtwoord-vergeten").get_data(as_text=True))
    response = client.post("/wachtwoord-vergeten", data={"email": USER_A.upper(), "csrf_token": token})
    assert response.status_code == 302
    mails = reset_mails(portal, USER_A)
    assert len(mails) == 1
    match = re.search(r"/wachtwoord/([A-Za-z0-9_\-]+)", mails[0])
    assert match is not None
    link = f"/wachtwoord/{match.group(1)}"
    page = client.get(link).get_data(as_text=True)
    new_password = "nieuw-klant-wachtwoord-77"
    response = client.post(link, data={"password": new_password, "password_again": new_password, "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    target, _ = login(portal.client(), USER_A, new_password)
    assert target == "/portaal/"
    assert client.get(link).status_code == 404


def test_password_reset_same_answer_for_unknown_address(portal: Portal) -> None:
    client = portal.client()
    token = csrf_of(client.get("/wachtwoord-vergeten").get_data(as_text=True))
    known = client.post("/wachtwoord-vergeten", data={"email": USER_A, "csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    unknown = client.post("/wachtwoord-vergeten", data={"email": "niemand@nergens.example", "csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Als er een account bij dit e-mailadres hoort" in known
    assert "Als er een account bij dit e-mailadres hoort" in unknown
    assert reset_mails(portal, "niemand@nergens.example") == []


def test_password_reset_once_per_interval(portal: Portal) -> None:
    client = portal.client()
    token = csrf_of(client.get("/wachtwoord-vergeten").get_data(as_text=True))
    for _ in range(3):
        client.post("/wachtwoord-vergeten", data={"email": USER_B, "csrf_token": token})
    assert len(reset_mails(portal, USER_B)) == 1
    assert len(events(portal, "password_reset_requested")) == 3
