"""The staff desk end to end in headless Chromium, served by waitress on loopback.

Uses Debian's chromium at /usr/bin/chromium through Playwright (never a downloaded
browser) and skips with the reason when either is missing. Screenshots of the main
pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import TODAY
from daemon.context import DaemonContext
from daemon.settings import load_settings
from dossiers.models import Dossier, InboundMessage, OutboxItem, ReviewItem
from web.app import create_app
from web.testing import STAFF_EMAIL, STAFF_PASSWORD, SeededDesk, desk_environment, seed_desk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (scripts/install-system-deps)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeededDesk]:
    base = tmp_path_factory.mktemp("desk")
    seed = seed_desk(base, f"sqlite:///{base / 'incasso.db'}", TODAY)
    seed.context.close()
    return base, seed


@dataclass
class Server:
    url: str
    context: DaemonContext
    seed: SeededDesk
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def server(seeded: tuple[Path, SeededDesk], tmp_path: Path) -> Iterator[Server]:
    from waitress.server import create_server

    base, seed = seeded
    for path in base.glob("incasso.db*"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(base / "outbox", tmp_path / "outbox", dirs_exist_ok=True)
    environment = desk_environment(tmp_path, f"sqlite:///{tmp_path / 'incasso.db'}", TODAY)
    context = DaemonContext.from_settings(load_settings(environ=environment))
    wsgi = create_server(create_app(context=context), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=wsgi.run, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{wsgi.effective_port}", context, seed)
    finally:
        wsgi.close()
        thread.join(timeout=5)
        context.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    browser_context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="nl-NL")
    page = browser_context.new_page()
    page.on("dialog", lambda dialog: (server.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: server.console_errors.append(message.text) if message.type == "error" else None)
    yield page
    browser_context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    assert "/inloggen" in page.url
    shot(page, "01-inloggen")
    page.fill("input[name=email]", STAFF_EMAIL)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    assert page.locator(".who").inner_text() == STAFF_EMAIL


def item_with(server: Server, code: str) -> int:
    with server.context.session() as session:
        items = session.execute(select(ReviewItem).where(ReviewItem.status == "open").order_by(ReviewItem.id)).scalars()
        return next(item.id for item in items if any(reason["code"] == code for reason in item.reasons))


def test_review_correct_approve_and_reply(page: Any, server: Server) -> None:
    log_in(page, server)
    shot(page, "02-overzicht")
    page.click("nav >> text=Controlelijst")
    assert page.locator("#review-items tbody tr").count() >= 2
    shot(page, "03-controlelijst")

    item_id = item_with(server, "debtor_kind_unsure")
    page.click(f"a[href='/controle/{item_id}'] >> nth=0")
    page.wait_for_selector("svg.pdf-page image")
    assert page.locator("svg.pdf-page rect.box").count() >= 5
    row = page.locator("tr[data-path='debtor.name']")
    row.hover()
    box_id = row.get_attribute("data-box")
    assert "active" in (page.locator(f"#{box_id}").get_attribute("class") or "")
    shot(page, "04-controle-met-factuur")

    row.locator("input[name=value]").fill("G. de Wit")
    row.locator("button").click()
    page.wait_for_selector(".flash.info")
    assert page.locator("tr[data-path='debtor.name'] input[name=value]").input_value() == "G. de Wit"

    page.select_option("select[name=debtor_kind]", "consumer")
    page.click("#approve-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dossiers/\d{4}-\d{6}-\d$"))
    number = page.url.rsplit("/", 1)[1]
    assert "Actief" in page.locator("h1 .badge").inner_text()
    outbox_text = page.locator("#outbox").inner_text()
    assert f"Dossier {number}" in outbox_text
    assert "reply" in outbox_text
    shot(page, "05-dossier-na-goedkeuren")

    with server.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        assert dossier.debtor.name == "G. de Wit"
        replies = session.execute(select(OutboxItem).where(OutboxItem.dossier_id == dossier.id, OutboxItem.purpose == "reply")).scalars().all()
    assert len(replies) == 1
    assert server.dialogs == []


def test_new_claim_opens_dossier_with_reply(page: Any, server: Server) -> None:
    log_in(page, server)
    with server.context.session() as session:
        item_id = next(
            item.id
            for item in session.execute(select(ReviewItem).where(ReviewItem.status == "open", ReviewItem.kind == "intake", ReviewItem.dossier_id.is_(None))).scalars()
            if "hostile" not in session.get(InboundMessage, item.inbound_id).source_key
        )
    page.goto(f"{server.url}/controle/{item_id}")
    values = {
        "debtor.name": "Drukkerij Voorbeeld B.V.",
        "debtor.street": "Industrieweg 12",
        "debtor.postcode": "3542 AD",
        "debtor.city": "Utrecht",
        "invoices[0].number": "VLD-2026-00999",
        "invoices[0].date": "01-09-2026",
        "invoices[0].due_date": "01-10-2026",
        "invoices[0].amount_total": "1.210,00",
    }
    for path, value in values.items():
        row = page.locator(f"tr[data-path='{path}']")
        row.locator("input[name=value]").fill(value)
        row.locator("button").click()
        page.wait_for_selector(".flash.info")
    page.select_option("select[name=debtor_kind]", "business")
    page.click("#approve-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dossiers/\d{4}-\d{6}-\d$"))
    number = page.url.rsplit("/", 1)[1]
    assert "De opdrachtgever krijgt het dossiernummer per e-mail" in page.locator(".flashes").inner_text()
    assert f"Dossier {number}" in page.locator("#outbox").inner_text()
    assert "VLD-2026-00999" in page.locator("#claims").inner_text()

    page.click("#outbox a >> nth=0")
    body = page.locator("#outbox-body").inner_text()
    assert number in body
    shot(page, "06-antwoord-aan-opdrachtgever")


def test_payment_changes_balance(page: Any, server: Server) -> None:
    log_in(page, server)
    page.fill(".top .search input", "")
    page.goto(server.url + "/dossiers?status=active")
    shot(page, "07-dossiers")
    page.click("#dossier-list tbody tr >> nth=0 >> a")
    page.wait_for_selector("#balance-total")
    before = _euros(page.locator("#balance-total").inner_text())
    shot(page, "08-dossier")

    page.fill("#payment-form input[name=amount]", "100,00")
    page.click("#payment-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    after = _euros(page.locator("#balance-total").inner_text())
    assert after <= before - Decimal("100.00")
    assert "Betaling geboekt" in page.locator("#timeline").inner_text()
    assert "100,00" in page.locator("#payments").inner_text()
    shot(page, "09-dossier-na-betaling")


def test_hostile_mail_is_inert(page: Any, server: Server) -> None:
    log_in(page, server)
    with server.context.session() as session:
        inbound_id = session.execute(select(InboundMessage.id).where(InboundMessage.source_key.like("%hostile%"))).scalar_one()
        item_id = session.execute(select(ReviewItem.id).where(ReviewItem.inbound_id == inbound_id)).scalar_one()
    page.goto(server.url + "/controle")
    page.goto(f"{server.url}/controle/{item_id}")
    page.click("details summary")
    page.wait_for_timeout(300)
    shot(page, "10-vijandige-mail")

    assert server.dialogs == []
    flags = page.evaluate("Object.keys(window).filter(function (key) { return key.indexOf('__pwned') === 0; })")
    assert flags == []
    scripts = page.evaluate("Array.from(document.scripts).map(function (script) { return script.src; })")
    assert scripts == [server.url + "/static/desk.js"]
    assert page.locator("#mail-html script, #mail-html img, #mail-html iframe, #mail-html svg, #mail-html style").count() == 0
    assert page.locator("#mail-html [onclick]").count() == 0
    assert "<script>window.__pwned_subject=1</script>" in page.locator(".subject").inner_text()
    assert "onerror" in page.locator("ul.attachments").inner_text()


def test_tasks_and_triage_pages(page: Any, server: Server) -> None:
    from datetime import datetime, timezone

    from dossiers.ledger import ensure_task

    with server.context.session() as session:
        dossiers = session.execute(select(Dossier).where(Dossier.status == "active").order_by(Dossier.id)).scalars().all()
        ensure_task(session, dossiers[0], "call", 3, now=datetime.now(timezone.utc))
        ensure_task(session, dossiers[1], "court_consent", 4, now=datetime.now(timezone.utc))
        session.commit()
    log_in(page, server)
    page.click("nav >> text=Taken")
    assert page.locator("#call-list tbody tr").count() == 1
    assert page.locator("#consent-list tbody tr").count() == 1
    shot(page, "11-taken")
    page.select_option("#call-list select[name=outcome]", "no_answer")
    page.click("#call-list button")
    page.wait_for_selector(".flash.info")
    assert page.locator("#call-list").count() == 0

    page.click("nav >> text=Triage")
    assert server.seed.unregistered_sender in page.locator("#review-items").inner_text()
    shot(page, "12-triage")
    page.click("#review-items tbody tr >> nth=0 >> a >> nth=0")
    page.wait_for_selector("#register-form")
    shot(page, "13-triage-bericht")
    assert not [error for error in server.console_errors if "Content Security Policy" in error]


def _euros(text: str) -> Decimal:
    digits = re.sub(r"[^\d,]", "", text)
    return Decimal(digits.replace(",", "."))
