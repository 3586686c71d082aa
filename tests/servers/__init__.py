"""Real servers on loopback for integration tests: a private Dovecot and an aiosmtpd sink.

Use the fixtures by importing them in a conftest or test module, e.g.
`from servers.smtp import smtp_sink` and `from servers.dovecot import dovecot`
(pytest puts `tests/` on sys.path because it has no `__init__.py`).
"""
