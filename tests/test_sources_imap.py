"""ImapSource against a real, private Dovecot on loopback."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from imapclient import IMAPClient
from servers.certs import SelfSignedCertificate, self_signed  # noqa: F401
from servers.dovecot import DovecotServer, dovecot  # noqa: F401

from daemon.sources.base import SourceConfigError, SourceError, SourceMessage, Watermark
from daemon.net import is_loopback_host
from daemon.sources.imap import PROCESSED_KEYWORD, ImapSource, _uid_set

pytestmark = pytest.mark.dovecot


def make_mail(number: int, size: int = 0) -> bytes:
    padding = b"x" * size
    return (
        b"From: klant@example.nl\r\n"
        b"To: info@incasso.test\r\n"
        b"Subject: Factuur %d\r\n"
        b"Message-ID: <factuur-%d@example.nl>\r\n"
        b"\r\n"
        b"Openstaande factuur %d\r\n%s\r\n" % (number, number, number, padding)
    )


def subject_number(message: SourceMessage) -> int:
    for line in message.raw.split(b"\r\n"):
        if line.startswith(b"Subject: Factuur "):
            return int(line.removeprefix(b"Subject: Factuur "))
    raise AssertionError(f"no subject in UID {message.uid}")


def make_source(server: DovecotServer, **kwargs: Any) -> ImapSource:
    return ImapSource(server.host, server.port, "none", server.user, server.password, timeout=10, **kwargs)


@pytest.fixture
def fetch_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """Record every FETCH that ImapSource sends, as (UID set, data items)."""
    calls: list[tuple[str, tuple[str, ...]]] = []
    original = IMAPClient.fetch

    def recording_fetch(self: IMAPClient, messages: Any, data: Any, modifiers: Any = None) -> Any:
        calls.append((_uid_set(list(messages)), tuple(data)))
        return original(self, messages, data, modifiers)

    monkeypatch.setattr(IMAPClient, "fetch", recording_fetch)
    return calls


@pytest.fixture
def source(dovecot: DovecotServer) -> Iterator[ImapSource]:
    imap_source = make_source(dovecot)
    yield imap_source
    imap_source.close()


# -- fetch ---------------------------------------------------------------------------


def test_fetch_250_in_batches_of_100(
    dovecot: DovecotServer, fetch_calls: list[tuple[str, tuple[str, ...]]]
) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 251))
    source = make_source(dovecot, batch_size=100)

    messages = list(source.fetch(None, limit=1000))
    source.close()

    uids = [m.uid for m in messages]
    assert len(messages) == 250
    assert uids == sorted(uids)
    assert len(set(uids)) == 250
    assert [subject_number(m) for m in messages] == list(range(1, 251))
    assert {m.uidvalidity for m in messages} == {dovecot.uidvalidity()}
    body_fetches = [uid_set for uid_set, items in fetch_calls if items == ("BODY.PEEK[]",)]
    assert body_fetches == ["1:100", "101:200", "201:250"]


def test_fetch_above_watermark(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 6))
    uidvalidity = dovecot.uidvalidity()

    messages = list(source.fetch(Watermark(source.mailbox, uidvalidity, 3), limit=100))

    assert [m.uid for m in messages] == [4, 5]
    assert [m.source_key for m in messages] == [
        f"{source.mailbox}#{uidvalidity}:4",
        f"{source.mailbox}#{uidvalidity}:5",
    ]


def test_fetch_at_watermark_returns_nothing(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 4))

    messages = list(source.fetch(Watermark(source.mailbox, dovecot.uidvalidity(), 3), limit=100))

    assert messages == []


def test_fetch_ignores_highest_uid_below_watermark(dovecot: DovecotServer, source: ImapSource) -> None:
    # UIDs 1-4 exist and UIDNEXT is 6, so "UID SEARCH UID 5:*" matches UID 4.
    dovecot.deliver_many(make_mail(number) for number in range(1, 6))
    with dovecot.imap_client() as client:
        client.select_folder("INBOX")
        client.delete_messages([5])
        client.uid_expunge([5])

    messages = list(source.fetch(Watermark(source.mailbox, dovecot.uidvalidity(), 4), limit=100))

    assert messages == []


def test_fetch_respects_limit(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 11))

    first = list(source.fetch(None, limit=4))
    rest = list(source.fetch(Watermark(source.mailbox, first[-1].uidvalidity, first[-1].uid or 0), limit=100))

    assert [m.uid for m in first] == [1, 2, 3, 4]
    assert [m.uid for m in rest] == [5, 6, 7, 8, 9, 10]


def test_fetch_empty_folder(source: ImapSource) -> None:
    assert list(source.fetch(None, limit=100)) == []


def test_fetch_returns_exact_bytes(dovecot: DovecotServer, source: ImapSource) -> None:
    raw = make_mail(1, size=5000)
    dovecot.deliver(raw)

    [message] = source.fetch(None, limit=10)

    assert message.raw == raw


def test_fetch_splits_batches_by_size(
    dovecot: DovecotServer, fetch_calls: list[tuple[str, tuple[str, ...]]]
) -> None:
    dovecot.deliver_many(make_mail(number, size=40_000) for number in range(1, 7))
    source = make_source(dovecot, batch_size=100, max_batch_bytes=100_000)

    messages = list(source.fetch(None, limit=100))
    source.close()

    assert [m.uid for m in messages] == [1, 2, 3, 4, 5, 6]
    body_fetches = [uid_set for uid_set, items in fetch_calls if items == ("BODY.PEEK[]",)]
    assert body_fetches == ["1:2", "3:4", "5:6"]


def test_fetch_leaves_messages_unseen(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 4))

    assert len(list(source.fetch(None, limit=10))) == 3

    assert dovecot.flags() == {1: set(), 2: set(), 3: set()}


def test_uidvalidity_change_refetches_everything(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 4))
    first = list(source.fetch(None, limit=10))
    old_uidvalidity = first[0].uidvalidity
    assert source.current_uidvalidity() == old_uidvalidity

    new_uidvalidity = old_uidvalidity + 1000
    dovecot.set_uidvalidity(new_uidvalidity)
    watermark = Watermark(source.mailbox, old_uidvalidity, 3)
    try:
        again = list(source.fetch(watermark, limit=10))
    except SourceError:
        # Dovecot may end the session that had the folder selected; the next call reconnects.
        again = list(source.fetch(watermark, limit=10))

    assert source.current_uidvalidity() == new_uidvalidity
    assert [m.uid for m in again] == [1, 2, 3]
    assert {m.uidvalidity for m in again} == {new_uidvalidity}


def test_watermark_of_other_mailbox_is_rejected(source: ImapSource) -> None:
    with pytest.raises(ValueError, match="watermark for mailbox"):
        list(source.fetch(Watermark("other", 1, 1), limit=10))


# -- mark_processed ------------------------------------------------------------------


def test_mark_processed_moves_to_new_folder(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 4))
    messages = list(source.fetch(None, limit=10))
    assert "Verwerkt" not in dovecot.list_folders()

    source.mark_processed(messages[0])
    source.mark_processed(messages[2])

    assert "Verwerkt" in dovecot.list_folders()
    assert dovecot.list_uids("INBOX") == [2]
    assert len(dovecot.list_uids("Verwerkt")) == 2
    with dovecot.imap_client() as client:
        assert "Verwerkt" in [name for _, _, name in client.list_sub_folders()]


def test_mark_processed_is_idempotent(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver(make_mail(1))
    [message] = source.fetch(None, limit=10)

    source.mark_processed(message)
    source.mark_processed(message)
    source.close()
    make_source(dovecot).mark_processed(message)

    assert dovecot.list_uids("INBOX") == []
    assert len(dovecot.list_uids("Verwerkt")) == 1


def test_mark_processed_tolerates_deleted_uid(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver(make_mail(1))
    [message] = source.fetch(None, limit=10)
    with dovecot.imap_client() as client:
        client.select_folder("INBOX")
        client.delete_messages([message.uid])
        client.expunge()

    source.mark_processed(message)

    assert dovecot.list_uids("INBOX") == []
    assert dovecot.list_uids("Verwerkt") == []


@pytest.mark.parametrize("uidplus", [True, False])
def test_mark_processed_without_move_capability(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, uidplus: bool
) -> None:
    original = IMAPClient.has_capability
    hidden = {"MOVE"} if uidplus else {"MOVE", "UIDPLUS"}

    def has_capability(self: IMAPClient, capability: str) -> bool:
        if capability.upper() in hidden:
            return False
        return original(self, capability)

    monkeypatch.setattr(IMAPClient, "has_capability", has_capability)
    dovecot.deliver_many(make_mail(number) for number in range(1, 3))
    source = make_source(dovecot)
    messages = list(source.fetch(None, limit=10))

    source.mark_processed(messages[0])
    source.mark_processed(messages[0])
    source.close()

    assert dovecot.list_uids("INBOX") == [2]
    assert len(dovecot.list_uids("Verwerkt")) == 1


def test_flag_mode_sets_keyword_and_seen(dovecot: DovecotServer) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 3))
    source = make_source(dovecot, mark_mode="flag")
    messages = list(source.fetch(None, limit=10))

    source.mark_processed(messages[1])
    source.mark_processed(messages[1])
    source.close()

    flags = dovecot.flags("INBOX")
    assert flags[1] == set()
    assert flags[2] == {PROCESSED_KEYWORD.decode(), "\\Seen"}
    assert "Verwerkt" not in dovecot.list_folders()


def test_mark_processed_skips_stale_uidvalidity(
    dovecot: DovecotServer, source: ImapSource, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot.deliver(make_mail(1))
    [message] = source.fetch(None, limit=10)
    source.close()
    dovecot.set_uidvalidity(message.uidvalidity + 1)

    with caplog.at_level(logging.WARNING, logger="daemon.sources.imap"):
        source.mark_processed(message)

    assert dovecot.list_uids("INBOX") == [1]
    assert "UIDVALIDITY is now" in caplog.text


def test_mark_processed_many_moves_group(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> None:
    move_calls: list[list[int]] = []
    original_move = IMAPClient.move

    def recording_move(self: IMAPClient, messages: list[int], folder: str) -> Any:
        move_calls.append(list(messages))
        return original_move(self, messages, folder)

    monkeypatch.setattr(IMAPClient, "move", recording_move)
    dovecot.deliver_many(make_mail(number) for number in range(1, 8))
    source = make_source(dovecot)
    messages = list(source.fetch(None, limit=10))

    source.mark_processed_many(messages[:5])
    source.mark_processed_many(messages[:5])
    source.close()

    assert move_calls[0] == [1, 2, 3, 4, 5]
    assert dovecot.list_uids("INBOX") == [6, 7]
    assert len(dovecot.list_uids("Verwerkt")) == 5


def test_mark_processed_many_after_foreign_expunge(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 5))
    messages = list(source.fetch(None, limit=10))
    with dovecot.imap_client() as client:
        client.select_folder("INBOX")
        client.delete_messages([2])
        client.uid_expunge([2])

    source.mark_processed_many(messages)

    assert dovecot.list_uids("INBOX") == []
    assert len(dovecot.list_uids("Verwerkt")) == 3


def test_mark_processed_many_flag_mode(dovecot: DovecotServer) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 4))
    source = make_source(dovecot, mark_mode="flag")
    messages = list(source.fetch(None, limit=10))

    source.mark_processed_many(messages[1:])
    source.close()

    flags = dovecot.flags("INBOX")
    assert flags[1] == set()
    assert flags[2] == {PROCESSED_KEYWORD.decode(), "\\Seen"}
    assert flags[3] == {PROCESSED_KEYWORD.decode(), "\\Seen"}


def test_mark_processed_many_skips_stale(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver_many(make_mail(number) for number in range(1, 3))
    messages = list(source.fetch(None, limit=10))
    source.close()
    dovecot.set_uidvalidity(messages[0].uidvalidity + 5)

    source.mark_processed_many(messages)

    assert dovecot.list_uids("INBOX") == [1, 2]


# -- connection handling -------------------------------------------------------------


def test_kick_fails_one_call_then_reconnects(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver(make_mail(1))
    assert len(list(source.fetch(None, limit=10))) == 1

    dovecot.kick()
    with pytest.raises(SourceError) as caught:
        list(source.fetch(None, limit=10))
    assert not isinstance(caught.value, SourceConfigError)

    dovecot.deliver(make_mail(2))
    assert [m.uid for m in source.fetch(None, limit=10)] == [1, 2]


def test_kick_during_mark_processed_then_reconnects(dovecot: DovecotServer, source: ImapSource) -> None:
    dovecot.deliver(make_mail(1))
    [message] = source.fetch(None, limit=10)

    dovecot.kick()
    with pytest.raises(SourceError):
        source.mark_processed(message)
    source.mark_processed(message)

    assert dovecot.list_uids("INBOX") == []


def test_silent_server_times_out() -> None:
    # A server that greets and then never replies, like a connection that died silently.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []

    def greet_once() -> None:
        connection, _ = listener.accept()
        connection.sendall(b"* OK silent server\r\n")
        accepted.append(connection)

    thread = threading.Thread(target=greet_once, daemon=True)
    thread.start()
    source = ImapSource("127.0.0.1", port, "none", "info", "secret", timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(SourceError) as caught:
            list(source.fetch(None, limit=10))
    finally:
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()

    assert time.monotonic() - started < 5
    assert "timed out" in str(caught.value)


def test_refused_connection_is_source_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = ImapSource("127.0.0.1", port, "none", "info", "secret", timeout=2)

    with pytest.raises(SourceError) as caught:
        source.current_uidvalidity()

    assert not isinstance(caught.value, SourceConfigError)


def test_wrong_password_is_config_error(dovecot: DovecotServer) -> None:
    source = ImapSource(dovecot.host, dovecot.port, "none", dovecot.user, "wrong", timeout=10)

    with pytest.raises(SourceConfigError, match="login") as caught:
        list(source.fetch(None, limit=10))

    assert "wrong" not in str(caught.value)


def test_missing_folder_is_config_error(dovecot: DovecotServer) -> None:
    source = make_source(dovecot, folder="Bestaat-niet")

    with pytest.raises(SourceConfigError, match="not found"):
        list(source.fetch(None, limit=10))


def test_password_never_logged(dovecot: DovecotServer, caplog: pytest.LogCaptureFixture) -> None:
    dovecot.deliver(make_mail(1))
    source = make_source(dovecot)

    with caplog.at_level(logging.DEBUG):
        [message] = source.fetch(None, limit=10)
        source.mark_processed(message)
        source.close()

    assert "Connecting to IMAP server" in caplog.text
    assert dovecot.password not in caplog.text
    assert dovecot.password not in repr(source)


# -- configuration -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["192.0.2.10", "10.1.2.3", "2001:db8::5", "0.0.0.0"])
def test_plaintext_to_remote_host_is_rejected(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_traffic(*args: object, **kwargs: object) -> None:
        raise AssertionError("no connection may be opened")

    monkeypatch.setattr(socket, "create_connection", no_traffic)

    with pytest.raises(SourceConfigError, match="only allowed for a loopback host"):
        ImapSource(host, 143, "none", "info", "secret")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.42.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("192.0.2.1", False),
        ("::ffff:192.0.2.1", False),
        ("0.0.0.0", False),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"security": "ssl"}, "invalid IMAP security"),
        ({"mark_mode": "delete"}, "invalid IMAP mark mode"),
        ({"batch_size": 0}, "invalid IMAP batch size"),
        ({"timeout": 0}, "invalid IMAP timeout"),
        ({"processed_folder": "INBOX"}, "must differ"),
        ({"port": 0}, "invalid IMAP port"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {
        "host": "127.0.0.1", "port": 143, "security": "none", "user": "info", "password": "x",
    }
    settings.update(kwargs)

    with pytest.raises(SourceConfigError, match=message):
        ImapSource(**settings)


# -- TLS -----------------------------------------------------------------------------


@pytest.fixture
def dovecot_tls(self_signed: SelfSignedCertificate) -> Iterator[DovecotServer]:
    server = DovecotServer(certificate=self_signed).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_with_trusted_certificate(
    dovecot_tls: DovecotServer, self_signed: SelfSignedCertificate, security: str
) -> None:
    dovecot_tls.deliver(make_mail(1))
    port = dovecot_tls.tls_port if security == "tls" else dovecot_tls.port
    source = ImapSource(
        "localhost", port, security, dovecot_tls.user, dovecot_tls.password,  # type: ignore[arg-type]
        timeout=10, ssl_context=self_signed.client_context(),
    )

    messages = list(source.fetch(None, limit=10))
    source.close()

    assert [m.uid for m in messages] == [1]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_untrusted_certificate_is_config_error(dovecot_tls: DovecotServer, security: str) -> None:
    port = dovecot_tls.tls_port if security == "tls" else dovecot_tls.port
    source = ImapSource("localhost", port, security, dovecot_tls.user, dovecot_tls.password, timeout=10)  # type: ignore[arg-type]

    with pytest.raises(SourceConfigError, match="certificate"):
        list(source.fetch(None, limit=10))


# -- IDLE ----------------------------------------------------------------------------


def test_wait_for_new_wakes_on_delivery(dovecot: DovecotServer, source: ImapSource) -> None:
    timer = threading.Timer(0.3, dovecot.deliver, args=(make_mail(1),))
    started = time.monotonic()
    timer.start()
    try:
        woke = source.wait_for_new(timeout=10)
    finally:
        timer.join()

    assert woke is True
    assert time.monotonic() - started < 5
    assert [m.uid for m in source.fetch(None, limit=10)] == [1]


def test_wait_for_new_times_out(source: ImapSource) -> None:
    started = time.monotonic()

    woke = source.wait_for_new(timeout=0.5)

    assert woke is False
    assert 0.4 < time.monotonic() - started < 3


def test_wait_for_new_renews_idle(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> None:
    idle_commands: list[float] = []
    original_idle = IMAPClient.idle

    def counting_idle(self: IMAPClient) -> None:
        idle_commands.append(time.monotonic())
        original_idle(self)

    monkeypatch.setattr(IMAPClient, "idle", counting_idle)
    source = make_source(dovecot, idle_renewal=0.3)

    woke = source.wait_for_new(timeout=1.0)
    dovecot.deliver(make_mail(1))
    messages = list(source.fetch(None, limit=10))
    source.close()

    assert woke is False
    assert len(idle_commands) >= 3
    assert [m.uid for m in messages] == [1]


def test_wait_for_new_after_kick_raises(dovecot: DovecotServer, source: ImapSource) -> None:
    timer = threading.Timer(0.3, dovecot.kick)
    timer.start()
    try:
        with pytest.raises(SourceError):
            source.wait_for_new(timeout=5)
    finally:
        timer.join()

    assert source.wait_for_new(timeout=0.2) is False
