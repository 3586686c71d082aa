"""FolderTransport: atomic writes and one file per outbox id."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.outbox.base import DeliveryError, OutgoingMail
from daemon.outbox.folder import FolderTransport, safe_name_part


def build_mail(outbox_id: int, message_id: str, raw: bytes = b"Subject: test\r\n\r\nbody\r\n") -> OutgoingMail:
    return OutgoingMail(
        outbox_id=outbox_id,
        message_id=message_id,
        envelope_from="info@incasso.test",
        recipients=("klant@example.nl",),
        raw=raw,
    )


def test_deliver_writes_named_eml(tmp_path: Path) -> None:
    transport = FolderTransport(tmp_path)

    transport.deliver(build_mail(42, "<abc.123@incasso.test>"))

    path = tmp_path / "mail" / "000042-abc.123@incasso.test.eml"
    assert path.read_bytes() == b"Subject: test\r\n\r\nbody\r\n"
    assert os.listdir(tmp_path / "mail") == [path.name]


def test_redelivery_overwrites_same_file(tmp_path: Path) -> None:
    transport = FolderTransport(tmp_path)

    transport.deliver(build_mail(7, "<m@x>", b"first"))
    transport.deliver(build_mail(7, "<m@x>", b"second"))

    assert os.listdir(tmp_path / "mail") == ["000007-m@x.eml"]
    assert (tmp_path / "mail" / "000007-m@x.eml").read_bytes() == b"second"


def test_redelivery_under_new_message_id_leaves_one_file(tmp_path: Path) -> None:
    transport = FolderTransport(tmp_path)

    transport.deliver(build_mail(7, "<old@x>", b"first"))
    transport.deliver(build_mail(7, "<new@x>", b"second"))
    transport.deliver(build_mail(70, "<other@x>", b"other"))

    assert sorted(os.listdir(tmp_path / "mail")) == ["000007-new@x.eml", "000070-other@x.eml"]


def test_failed_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    transport = FolderTransport(tmp_path)
    transport.deliver(build_mail(1, "<a@x>", b"original"))

    def failing_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(DeliveryError) as caught:
        transport.deliver(build_mail(1, "<a@x>", b"replacement"))

    assert caught.value.permanent is False
    assert os.listdir(tmp_path / "mail") == ["000001-a@x.eml"]
    assert (tmp_path / "mail" / "000001-a@x.eml").read_bytes() == b"original"


def test_unsafe_message_id_is_cleaned(tmp_path: Path) -> None:
    transport = FolderTransport(tmp_path)

    transport.deliver(build_mail(3, "<../../etc/passwd id with spaces@host>"))

    [name] = os.listdir(tmp_path / "mail")
    assert name.startswith("000003-")
    assert "/" not in name
    assert " " not in name
    assert name.endswith(".eml")
    assert (tmp_path / "mail" / name).is_file()


def test_safe_name_part_limits_length() -> None:
    assert len(safe_name_part("<" + "a" * 500 + "@x>")) == 80
    assert safe_name_part("<>") == "message"
    assert safe_name_part("<12.34@incasso.test>") == "12.34@incasso.test"


def test_print_letter_written_and_overwritten(tmp_path: Path) -> None:
    transport = FolderTransport(tmp_path)

    first = transport.write_print_letter(12, b"%PDF-1.7 one", "ingebrekestelling 2024-0012.pdf")
    second = transport.write_print_letter(12, b"%PDF-1.7 two", "ingebrekestelling 2024-0012.pdf")

    assert first == second == tmp_path / "post" / "000012-ingebrekestelling_2024-0012.pdf"
    assert second.read_bytes() == b"%PDF-1.7 two"
    assert os.listdir(tmp_path / "post") == [second.name]


def test_negative_outbox_id_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid outbox id"):
        FolderTransport(tmp_path).write_print_letter(-1, b"%PDF", "x")
