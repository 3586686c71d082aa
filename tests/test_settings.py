"""Settings: defaults, overrides from file and environment, and clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.settings import ConfigError, load_settings


def test_defaults_use_the_embedded_stores() -> None:
    settings = load_settings(environ={})
    assert settings.database_url == "sqlite:///var/incasso.db"
    assert settings.imap is None
    assert settings.smtp is None
    assert settings.maildir == Path("var/maildir")
    assert settings.agency.from_address == "info@alertincasso.nl"
    assert settings.today is None


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('[mailbox]\nimap_host = "127.0.0.1"\nimap_user = "info"\nimap_security = "none"\nimap_port = 1143\n')
    settings = load_settings(config, environ={"INCASSO_IMAP_PORT": "2143", "INCASSO_TODAY": "2026-12-04"})
    assert settings.imap is not None
    assert settings.imap.port == 2143
    assert settings.imap.security == "none"
    assert settings.today == date(2026, 12, 4)


def test_plain_postgresql_url_gets_psycopg_driver() -> None:
    settings = load_settings(environ={"INCASSO_DATABASE_URL": "postgresql://incasso@db/incasso", "INCASSO_SECRET_KEY": "k" * 32})
    assert settings.database_url == "postgresql+psycopg://incasso@db/incasso"


def test_postgresql_needs_a_shared_secret_key() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"INCASSO_DATABASE_URL": "postgresql://incasso@db/incasso"})
    assert "INCASSO_SECRET_KEY" in str(error.value)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"INCASSO_IMAP_HOST": "mail.example.nl", "INCASSO_IMAP_USER": "info", "INCASSO_IMAP_SECURITY": "none"}, "INCASSO_IMAP_SECURITY=none"),
        ({"INCASSO_IMAP_HOST": "mail.example.nl", "INCASSO_IMAP_USER": "info", "INCASSO_IMAP_PORT": "99999"}, "INCASSO_IMAP_PORT"),
        ({"INCASSO_IMAP_HOST": "mail.example.nl"}, "INCASSO_IMAP_USER"),
        ({"INCASSO_SMTP_HOST": "smtp.example.nl", "INCASSO_SMTP_SECURITY": "ssl"}, "INCASSO_SMTP_SECURITY"),
        ({"INCASSO_TODAY": "04-12-2026"}, "INCASSO_TODAY"),
        ({"INCASSO_FROM": "info-at-example"}, "INCASSO_FROM"),
        ({"INCASSO_DATABASE_URL": "mysql://root@localhost/x"}, "INCASSO_DATABASE_URL"),
        ({"INCASSO_POLL_SECONDS": "-1"}, "INCASSO_POLL_SECONDS"),
    ],
)
def test_bad_setting_names_itself(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(environ=environ)
    assert expected in str(error.value)


def test_password_is_hidden_in_database_url_error() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"INCASSO_DATABASE_URL": "mysql://root:hunter2@localhost/x"})
    assert "hunter2" not in str(error.value)


def test_cli_stops_with_one_dutch_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INCASSO_SMTP_HOST", "smtp.example.nl")
    monkeypatch.setenv("INCASSO_SMTP_SECURITY", "none")
    assert main(["run", "--once"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("incasso: ongeldige instelling: INCASSO_SMTP_SECURITY=none")


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path / "nope.toml", environ={})
    assert "bestaat niet" in str(error.value)
