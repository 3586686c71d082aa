"""Settings: `config/default.toml`, then a file given with `--config`, then environment.

Every value is validated when the settings are loaded, so that a bad value stops the
daemon at start-up with one Dutch line naming the setting and the fix, instead of
failing later in a worker.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from daemon.net import is_loopback_host

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "default.toml"
TEMPLATES_DIR = PROJECT_ROOT / "templates"

SECURITY_MODES = ("tls", "starttls", "none")

# Environment variable -> (section, key). The section/key pairs are those of default.toml.
ENVIRONMENT = {
    "INCASSO_DATABASE_URL": ("database", "url"),
    "INCASSO_MAILDIR": ("mailbox", "maildir"),
    "INCASSO_IMAP_HOST": ("mailbox", "imap_host"),
    "INCASSO_IMAP_PORT": ("mailbox", "imap_port"),
    "INCASSO_IMAP_SECURITY": ("mailbox", "imap_security"),
    "INCASSO_IMAP_USER": ("mailbox", "imap_user"),
    "INCASSO_IMAP_PASSWORD": ("mailbox", "imap_password"),
    "INCASSO_IMAP_FOLDER": ("mailbox", "imap_folder"),
    "INCASSO_IMAP_PROCESSED_FOLDER": ("mailbox", "processed_folder"),
    "INCASSO_IMAP_MARK_MODE": ("mailbox", "mark_mode"),
    "INCASSO_POLL_SECONDS": ("mailbox", "poll_seconds"),
    "INCASSO_SMTP_HOST": ("smtp", "host"),
    "INCASSO_SMTP_PORT": ("smtp", "port"),
    "INCASSO_SMTP_SECURITY": ("smtp", "security"),
    "INCASSO_SMTP_USER": ("smtp", "user"),
    "INCASSO_SMTP_PASSWORD": ("smtp", "password"),
    "INCASSO_OUTBOX_DIR": ("outbox", "dir"),
    "INCASSO_FROM": ("agency", "from_address"),
    "INCASSO_WEB_URL": ("web", "url"),
    "INCASSO_TODAY": ("clock", "today"),
    "INCASSO_SECRET_KEY": ("security", "secret_key"),
}


class ConfigError(Exception):
    """A setting is missing or invalid. The message is the Dutch line shown to staff."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)
    folder: str
    processed_folder: str
    mark_mode: str


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)
    retry_minutes: tuple[int, ...]


@dataclass(frozen=True)
class AgencySettings:
    from_address: str
    name: str
    street: str
    postcode: str
    city: str
    phone: str
    website: str
    kvk: str
    wki_registration: str
    iban: str
    iban_holder: str
    message_id_domain: str


@dataclass(frozen=True)
class Settings:
    database_url: str
    maildir: Path
    imap: ImapSettings | None
    poll_seconds: float
    fetch_batch: int
    max_message_bytes: int
    smtp: SmtpSettings | None
    outbox_dir: Path
    agency: AgencySettings
    web_url: str
    today: date | None
    secret_key: str = field(repr=False, default="")
    reply_limit_per_hour: int = 5
    reply_limit_per_day: int = 20

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(
    config_file: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read, merge and validate the settings; raise ConfigError on the first bad value."""
    environ = dict(os.environ) if environ is None else environ
    raw = _read_toml(DEFAULT_CONFIG)
    if config_file is not None:
        _merge(raw, _read_toml(config_file))
    for variable, (section, key) in ENVIRONMENT.items():
        if variable in environ:
            raw.setdefault(section, {})[key] = environ[variable]
    return _validate(raw)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"Configuratiebestand {path} bestaat niet; geef een bestaand pad op.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Configuratiebestand {path} is geen geldige TOML: {error}.") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> None:
    for section, values in override.items():
        if isinstance(values, dict):
            base.setdefault(section, {}).update(values)
        else:
            base[section] = values


def _validate(raw: dict[str, Any]) -> Settings:
    mailbox = raw.get("mailbox", {})
    smtp = raw.get("smtp", {})
    agency = raw.get("agency", {})

    database_url = _text(raw, "database", "url", "INCASSO_DATABASE_URL")
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        raise ConfigError(
            f"INCASSO_DATABASE_URL '{_mask_url(database_url)}' wordt niet ondersteund; "
            "gebruik sqlite:///pad/naar/bestand.db of postgresql+psycopg://gebruiker@host/database."
        )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    imap_host = str(mailbox.get("imap_host", "")).strip()
    imap = None
    if imap_host:
        security = _choice(mailbox, "imap_security", SECURITY_MODES, "INCASSO_IMAP_SECURITY")
        if security == "none" and not is_loopback_host(imap_host):
            raise ConfigError(
                f"INCASSO_IMAP_SECURITY=none is alleen toegestaan voor een server op dit apparaat "
                f"(127.0.0.1 of ::1), niet voor {imap_host}; gebruik tls of starttls."
            )
        user = str(mailbox.get("imap_user", "")).strip()
        if not user:
            raise ConfigError("INCASSO_IMAP_USER ontbreekt; vul de gebruikersnaam van de mailbox in.")
        imap = ImapSettings(
            host=imap_host,
            port=_port(mailbox, "imap_port", "INCASSO_IMAP_PORT"),
            security=security,
            user=user,
            password=str(mailbox.get("imap_password", "")),
            folder=str(mailbox.get("imap_folder", "INBOX")) or "INBOX",
            processed_folder=str(mailbox.get("processed_folder", "Verwerkt")) or "Verwerkt",
            mark_mode=_choice(mailbox, "mark_mode", ("move", "flag"), "INCASSO_IMAP_MARK_MODE"),
        )

    smtp_host = str(smtp.get("host", "")).strip()
    smtp_settings = None
    if smtp_host:
        security = _choice(smtp, "security", SECURITY_MODES, "INCASSO_SMTP_SECURITY")
        if security == "none" and not is_loopback_host(smtp_host):
            raise ConfigError(
                f"INCASSO_SMTP_SECURITY=none is alleen toegestaan voor een server op dit apparaat "
                f"(127.0.0.1 of ::1), niet voor {smtp_host}; gebruik tls of starttls."
            )
        retry = smtp.get("retry_minutes", [1, 5, 15, 60, 240])
        if not isinstance(retry, list) or not all(isinstance(m, int) and m > 0 for m in retry):
            raise ConfigError("smtp.retry_minutes moet een lijst positieve gehele getallen zijn, bijvoorbeeld [1, 5, 15].")
        smtp_settings = SmtpSettings(
            host=smtp_host,
            port=_port(smtp, "port", "INCASSO_SMTP_PORT"),
            security=security,
            user=str(smtp.get("user", "")),
            password=str(smtp.get("password", "")),
            retry_minutes=tuple(retry),
        )

    from_address = _text(raw, "agency", "from_address", "INCASSO_FROM")
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", from_address):
        raise ConfigError(
            f"INCASSO_FROM '{from_address}' is geen geldig e-mailadres; gebruik bijvoorbeeld info@alertincasso.nl."
        )

    return Settings(
        database_url=database_url,
        maildir=Path(_text(raw, "mailbox", "maildir", "INCASSO_MAILDIR")),
        imap=imap,
        poll_seconds=_positive_number(mailbox, "poll_seconds", "INCASSO_POLL_SECONDS"),
        fetch_batch=int(_positive_number(mailbox, "fetch_batch", "mailbox.fetch_batch")),
        max_message_bytes=int(_positive_number(mailbox, "max_message_bytes", "mailbox.max_message_bytes")),
        smtp=smtp_settings,
        outbox_dir=Path(_text(raw, "outbox", "dir", "INCASSO_OUTBOX_DIR")),
        agency=AgencySettings(
            from_address=from_address,
            name=str(agency.get("name", "")),
            street=str(agency.get("street", "")),
            postcode=str(agency.get("postcode", "")),
            city=str(agency.get("city", "")),
            phone=str(agency.get("phone", "")),
            website=str(agency.get("website", "")),
            kvk=str(agency.get("kvk", "")),
            wki_registration=str(agency.get("wki_registration", "")),
            iban=str(agency.get("iban", "")),
            iban_holder=str(agency.get("iban_holder", "")),
            message_id_domain=str(agency.get("message_id_domain", "")) or from_address.split("@")[1],
        ),
        web_url=str(raw.get("web", {}).get("url", "")).rstrip("/"),
        today=_today(raw),
        secret_key=_secret_key(raw, database_url),
        reply_limit_per_hour=int(_positive_number(raw.get("intake", {}), "reply_limit_per_hour", "intake.reply_limit_per_hour")),
        reply_limit_per_day=int(_positive_number(raw.get("intake", {}), "reply_limit_per_day", "intake.reply_limit_per_day")),
    )


def _text(raw: dict[str, Any], section: str, key: str, name: str) -> str:
    value = str(raw.get(section, {}).get(key, "")).strip()
    if not value:
        raise ConfigError(f"{name} ontbreekt; vul een waarde in (zie config/default.toml).")
    return value


def _choice(section: dict[str, Any], key: str, choices: tuple[str, ...], name: str) -> str:
    value = str(section.get(key, "")).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}='{value}' is ongeldig; kies uit: {', '.join(choices)}.")
    return value


def _port(section: dict[str, Any], key: str, name: str) -> int:
    try:
        port = int(section.get(key, 0))
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name}='{section.get(key)}' is geen geldig poortnummer; kies een getal van 1 tot 65535.")
    return port


def _positive_number(section: dict[str, Any], key: str, name: str) -> float:
    try:
        value = float(section.get(key, 0))
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise ConfigError(f"{name}='{section.get(key)}' is ongeldig; geef een positief getal.")
    return value


def _today(raw: dict[str, Any]) -> date | None:
    value = str(raw.get("clock", {}).get("today", "")).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"INCASSO_TODAY='{value}' is geen datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2026-12-04.") from None


def _secret_key(raw: dict[str, Any], database_url: str) -> str:
    value = str(raw.get("security", {}).get("secret_key", "")).strip()
    if value and len(value) < 32:
        raise ConfigError("INCASSO_SECRET_KEY is te kort; gebruik minstens 32 tekens, bijvoorbeeld uit `openssl rand -hex 32`.")
    if not value and not database_url.startswith("sqlite"):
        raise ConfigError(
            "INCASSO_SECRET_KEY ontbreekt; met PostgreSQL moeten alle daemons dezelfde sleutel hebben "
            "(maak er een met `openssl rand -hex 32`)."
        )
    return value


def _mask_url(url: str) -> str:
    """Hide a password in a database URL before it is shown anywhere."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
