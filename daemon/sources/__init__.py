"""Mailbox sources: where raw client mail comes from (IMAP or a local Maildir)."""
