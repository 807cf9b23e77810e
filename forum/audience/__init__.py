"""Pages for the audience: the public event page (no account, no personal data)."""
