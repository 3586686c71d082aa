"""MaildirSource on a temporary Maildir."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from daemon.sources.base import SourceMessage, Watermark
from daemon.sources.maildir import MaildirSource, maildir_key


def put_message(root: Path, name: str, body: bytes, mtime: float, subdir: str = "new") -> Path:
    path = root / subdir / name
    path.write_bytes(body)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "Maildir"


def test_creates_maildir_folders(maildir: Path) -> None:
    MaildirSource(maildir)

    assert (maildir / "tmp").is_dir()
    assert (maildir / "new").is_dir()
    assert (maildir / "cur").is_dir()


def test_fetch_oldest_first_by_mtime_then_name(maildir: Path) -> None:
    source = MaildirSource(maildir, mailbox_name="lokaal")
    put_message(maildir, "300.b.host", b"third", 3000)
    put_message(maildir, "100.a.host", b"first", 1000)
    put_message(maildir, "200.b.host", b"second-b", 2000)
    put_message(maildir, "200.a.host", b"second-a", 2000)

    messages = list(source.fetch(None, limit=10))

    assert [m.raw for m in messages] == [b"first", b"second-a", b"second-b", b"third"]
    assert [m.key for m in messages] == ["100.a.host", "200.a.host", "200.b.host", "300.b.host"]
    assert all(m.uidvalidity == 0 and m.uid is None for m in messages)
    assert messages[0].source_key == "lokaal#100.a.host"


def test_fetch_respects_limit_and_ignores_watermark(maildir: Path) -> None:
    source = MaildirSource(maildir)
    for index in range(5):
        put_message(maildir, f"{index}.x.host", b"m%d" % index, 1000 + index)

    limited = list(source.fetch(Watermark("maildir", 0, 99), limit=2))
    none = list(source.fetch(None, limit=0))

    assert [m.key for m in limited] == ["0.x.host", "1.x.host"]
    assert none == []


def test_key_drops_info_part(maildir: Path) -> None:
    source = MaildirSource(maildir)
    put_message(maildir, "500.q.host:2,F", b"flagged", 1000)

    [message] = source.fetch(None, limit=10)

    assert message.key == "500.q.host"
    assert maildir_key("500.q.host:2,RS") == "500.q.host"


def test_skips_dotfiles_and_folders(maildir: Path) -> None:
    source = MaildirSource(maildir)
    put_message(maildir, ".hidden", b"hidden", 1000)
    (maildir / "new" / "subfolder").mkdir()
    put_message(maildir, "1.a.host", b"visible", 1000)

    assert [m.key for m in source.fetch(None, limit=10)] == ["1.a.host"]


def test_unreadable_file_is_skipped_with_warning(
    maildir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = MaildirSource(maildir)
    put_message(maildir, "1.a.host", b"good-1", 1000)
    put_message(maildir, "2.bad.host", b"unreadable", 2000)
    put_message(maildir, "3.a.host", b"good-2", 3000)
    # Root reads files whatever their mode, so the read error is injected.
    original_read_bytes = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "2.bad.host":
            raise PermissionError(13, "Permission denied", str(path))
        return original_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with caplog.at_level(logging.WARNING, logger="daemon.sources.maildir"):
        messages = list(source.fetch(None, limit=10))

    assert [m.key for m in messages] == ["1.a.host", "3.a.host"]
    assert "2.bad.host" in caplog.text
    assert (maildir / "new" / "2.bad.host").exists()


def test_broken_symlink_is_ignored(maildir: Path) -> None:
    source = MaildirSource(maildir)
    os.symlink(maildir / "does-not-exist", maildir / "new" / "1.broken.host")
    put_message(maildir, "2.a.host", b"good", 2000)

    assert [m.key for m in source.fetch(None, limit=10)] == ["2.a.host"]


def test_mark_processed_moves_to_cur_with_seen_flag(maildir: Path) -> None:
    source = MaildirSource(maildir)
    put_message(maildir, "1.a.host", b"body", 1000)
    [message] = source.fetch(None, limit=10)

    source.mark_processed(message)

    assert not (maildir / "new" / "1.a.host").exists()
    assert (maildir / "cur" / "1.a.host:2,S").read_bytes() == b"body"
    assert list(source.fetch(None, limit=10)) == []


def test_mark_processed_keeps_existing_flags(maildir: Path) -> None:
    source = MaildirSource(maildir)
    put_message(maildir, "1.a.host:2,F", b"body", 1000)
    [message] = source.fetch(None, limit=10)

    source.mark_processed(message)

    assert (maildir / "cur" / "1.a.host:2,FS").is_file()


def test_mark_processed_is_idempotent(maildir: Path) -> None:
    source = MaildirSource(maildir)
    put_message(maildir, "1.a.host", b"body", 1000)
    [message] = source.fetch(None, limit=10)

    source.mark_processed(message)
    source.mark_processed(message)
    (maildir / "cur" / "1.a.host:2,S").unlink()
    source.mark_processed(message)

    assert os.listdir(maildir / "cur") == []
    assert os.listdir(maildir / "new") == []


def test_mark_processed_many_moves_all(maildir: Path) -> None:
    source = MaildirSource(maildir)
    for index in range(3):
        put_message(maildir, f"{index}.a.host", b"body", 1000 + index)
    messages = list(source.fetch(None, limit=10))

    source.mark_processed_many(messages)

    assert sorted(os.listdir(maildir / "cur")) == ["0.a.host:2,S", "1.a.host:2,S", "2.a.host:2,S"]
    assert os.listdir(maildir / "new") == []


@pytest.mark.parametrize("key", ["../escape", "a/b", "", ".hidden", "x:2,S"])
def test_mark_processed_rejects_unsafe_keys(maildir: Path, key: str) -> None:
    source = MaildirSource(maildir)
    message = SourceMessage(mailbox="maildir", uidvalidity=0, uid=None, key=key, raw=b"")

    with pytest.raises(ValueError, match="invalid Maildir key"):
        source.mark_processed(message)


def test_current_uidvalidity_is_zero(maildir: Path) -> None:
    assert MaildirSource(maildir).current_uidvalidity() == 0
