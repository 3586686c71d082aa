"""Outbox transports: deliver queued e-mails over SMTP or into a local folder."""
