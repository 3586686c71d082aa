"""The Flask app of the web desk: staff review queue, dossiers, tasks and dashboard.

`create_app` builds the app over a `DaemonContext`, so the desk uses the same settings,
clock, database sessions, templates and Message-ID signer as the daemon, and changes
dossiers through the same functions as the CLI.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, render_template
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from daemon.context import DaemonContext
from daemon.settings import PROJECT_ROOT, Settings, load_settings
from daemon.templating import format_long_date, format_rate
from web import auth, formatting, security, totp_pages
from web.keys import session_secret
from web.portal import views as portal
from web.views import dashboard, dossiers, files, review, tasks

logger = logging.getLogger(__name__)

EXTENSION = "incasso"


def create_app(settings: Settings | None = None, context: DaemonContext | None = None, testing: bool = False) -> Flask:
    """Build the web desk. Without `context`, one is made from `settings` (or the loaded settings)."""
    if context is None:
        context = DaemonContext.from_settings(settings or load_settings())
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "web" / "static"),
        static_url_path="/static",
    )
    app.config.update(
        TESTING=testing,
        SECRET_KEY=session_secret(context.settings),
        SESSION_COOKIE_NAME="incasso_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=context.settings.web_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=security.SESSION_MAX_AGE,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_IDLE_SECONDS=security.SESSION_IDLE.total_seconds(),
    )
    app.extensions[EXTENSION] = context

    environment = app.jinja_env
    environment.filters["euro"] = formatting.euro
    environment.filters["datum"] = formatting.short_date
    environment.filters["datum_lang"] = format_long_date
    environment.filters["procent"] = format_rate
    environment.filters["local_time"] = formatting.local_time
    environment.filters["iso_local_time"] = formatting.iso_local_time
    environment.filters["event_label"] = formatting.event_label
    environment.filters["event_details"] = formatting.event_details
    environment.filters["percent"] = formatting.percent
    environment.globals["csrf_token"] = security.csrf_token

    app.teardown_appcontext(_close_session)
    security.install(app)
    auth.install(app)
    for blueprint in (auth.blueprint, dashboard.blueprint, review.blueprint, dossiers.blueprint, tasks.blueprint, files.blueprint, totp_pages.blueprint, portal.blueprint):
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_error)
    return app


def context_of(app: Flask) -> DaemonContext:
    context: DaemonContext = app.extensions[EXTENSION]
    return context


def _close_session(error: BaseException | None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        if error is not None:
            session.rollback()
        session.close()


def _http_error(error: HTTPException) -> Any:
    messages = {
        400: "Het verzoek is ongeldig.",
        403: "U heeft geen toegang tot deze pagina.",
        404: "Deze pagina of dit bestand bestaat niet.",
        405: "Deze actie is hier niet toegestaan.",
        413: "Het verzonden bestand of formulier is te groot.",
    }
    message = getattr(error, "dutch", None) or messages.get(error.code or 500, "Er ging iets mis.")
    return render_template("web/error.html", code=error.code, message=message), error.code or 500
