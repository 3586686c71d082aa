"""The client portal end to end in headless Chromium, served by waitress on loopback.

Staff invite a client user with the real `incasso users add` command, the daemon writes
the link mail to the outbox folder, and the client sets a password from that .eml, logs
in, opens a dossier, downloads a letter and uploads a document; staff then see the
review item on the desk. Uses Debian's chromium at /usr/bin/chromium through Playwright
and skips with the reason when either is missing. Screenshots go to
test-artifacts/screenshots/portal-*.png.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import TODAY
from daemon.context import DaemonContext
from daemon.settings import load_settings
from daemon_helpers import run_cli
from dossiers.models import Client, Document, Dossier, Event, ReviewItem
from web.app import create_app
from web.testing import STAFF_EMAIL, STAFF_PASSWORD, SeededDesk, desk_environment, seed_desk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CLIENT_USER = "crediteuren@klant-portaal.example"
CLIENT_PASSWORD = "portaal-wachtwoord-2026!"
LINK = re.compile(r"https?://\S+/wachtwoord/(\S+)")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (scripts/install-system-deps)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Server:
    url: str
    context: DaemonContext
    environment: dict[str, str]
    tmp_path: Path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    from waitress.server import create_server

    seed: SeededDesk = seed_desk(tmp_path, f"sqlite:///{tmp_path / 'incasso.db'}", TODAY)
    seed.context.close()
    environment = desk_environment(tmp_path, f"sqlite:///{tmp_path / 'incasso.db'}", TODAY)
    context = DaemonContext.from_settings(load_settings(environ=environment))
    wsgi = create_server(create_app(context=context), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=wsgi.run, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{wsgi.effective_port}", context, environment, tmp_path)
    finally:
        wsgi.close()
        thread.join(timeout=5)
        context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-{name}.png"), full_page=True)


def invite_client(server: Server) -> str:
    """Run `incasso users add --role client` and the daemon's outbox step; return the link's token."""
    from daemon.app import make_workers
    from daemon.runner import run_until_idle

    with server.context.session() as session:
        client_email = session.execute(
            select(Client.email).join(Dossier, Dossier.client_id == Client.id).where(Dossier.status == "active").order_by(Dossier.id)
        ).scalars().first()
    result = run_cli(["users", "add", "--role", "client", "--client", str(client_email), "--email", CLIENT_USER, "--by", STAFF_EMAIL], server.environment)
    assert result.returncode == 0, result.stderr
    workers = make_workers(server.context)
    try:
        run_until_idle(workers.in_order())
    finally:
        workers.close()
    mails = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted((server.tmp_path / "outbox" / "mail").glob("*.eml"))]
    invitations = [mail for mail in mails if mail["To"] == CLIENT_USER]
    assert len(invitations) == 1
    body = invitations[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    match = LINK.search(body)
    assert match is not None, body
    return match.group(1)


def test_invited_client_uses_portal(browser: Any, server: Server) -> None:
    token = invite_client(server)
    client_context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="nl-NL", accept_downloads=True)
    page = client_context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    client_context.on("response", lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None)

    page.goto(f"{server.url}/wachtwoord/{token}")
    assert CLIENT_USER in page.content()
    page.fill("input[name=password]", CLIENT_PASSWORD)
    page.fill("input[name=password_again]", CLIENT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/inloggen"))

    page.fill("input[name=email]", CLIENT_USER)
    page.fill("input[name=password]", CLIENT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/portaal/")
    rows = page.locator("#dossier-list tbody tr")
    assert rows.count() >= 1
    shot(page, "01-dossiers")

    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/portaal/dossiers/\d{4}-\d{6}-\d$"))
    number = page.url.rsplit("/", 1)[1]
    assert page.locator("#timeline li").count() >= 2
    shot(page, "02-dossier")

    href = page.locator("a.letter-link").first.get_attribute("href")
    assert href is not None
    response = page.request.get(server.url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    upload = server.tmp_path / "opdrachtbevestiging.pdf"
    upload.write_bytes(PDF)
    page.select_option("#upload-form select[name=kind]", "contract")
    page.set_input_files("#upload-form input[type=file]", str(upload))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    assert "Het document is ontvangen" in page.locator(".flashes").inner_text()
    assert "opdrachtbevestiging.pdf" in page.locator("#documents").inner_text()
    shot(page, "03-na-upload")

    page.goto(f"{server.url}/portaal/opdracht")
    shot(page, "04-nieuwe-opdracht")
    # Chromium's own request for /favicon.ico fails with 404 and is not a page response.
    assert [error for error in errors if not error.startswith("Failed to load resource")] == []
    assert failed == []
    client_context.close()

    with server.context.session() as session:
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one()
        document = session.execute(select(Document).where(Document.dossier_id == dossier.id, Document.kind == "contract")).scalar_one()
        item = session.execute(select(ReviewItem).where(ReviewItem.dossier_id == dossier.id, ReviewItem.kind == "followup", ReviewItem.status == "open")).scalar_one()
        uploaded = session.execute(select(Event).where(Event.kind == "portal_document_uploaded")).scalar_one()
        assert uploaded.actor == CLIENT_USER
        assert uploaded.data["document_id"] == document.id
        item_id = item.id

    staff_context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="nl-NL")
    staff = staff_context.new_page()
    staff.goto(server.url + "/inloggen")
    staff.fill("input[name=email]", STAFF_EMAIL)
    staff.fill("input[name=password]", STAFF_PASSWORD)
    staff.click("button[type=submit]")
    staff.wait_for_url(server.url + "/")
    staff.goto(server.url + "/controle")
    assert staff.locator(f"a[href='/controle/{item_id}']").count() >= 1
    assert "document toegevoegd" in staff.locator("body").inner_text()
    shot(staff, "05-medewerker-controlelijst")
    staff.goto(f"{server.url}/controle/{item_id}")
    assert "opdrachtbevestiging.pdf" in staff.locator("body").inner_text()
    shot(staff, "06-medewerker-aanvulling")
    staff_context.close()
