"""A throwaway self-signed certificate for `localhost` and 127.0.0.1, made with openssl."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class SelfSignedCertificate:
    """PEM files of a self-signed certificate and its private key."""

    cert_path: Path
    key_path: Path

    def client_context(self) -> ssl.SSLContext:
        """Return a client context that trusts only this certificate (and checks the host name)."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_path), str(self.key_path))
        return context


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def make_self_signed(directory: Path) -> SelfSignedCertificate:
    """Write a one-day certificate for localhost and 127.0.0.1 into `directory`."""
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key_path), "-out", str(cert_path),
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return SelfSignedCertificate(cert_path, key_path)


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    """A self-signed certificate for localhost and 127.0.0.1, shared by the session."""
    if not openssl_available():
        pytest.skip("openssl is not installed; TLS tests need it to make a test certificate")
    return make_self_signed(tmp_path_factory.mktemp("tls"))
