"""Audience identities for tests: tokens signed with the key the test app or the e2e server uses.

A real browser gets its token from the event page's cookie and a non-browser client from
``POST /api/audience-identity``; tests mint them directly, as the server would.
"""

from __future__ import annotations

from forum.access import new_token

TEST_SECRET = "test-secret"  # the in-process app's SECRET_KEY (tests/conftest.py)
E2E_SECRET = "e2e-secret"  # the key tests/live_server.LiveServer gives its server processes


def audience_token(secret: str = TEST_SECRET) -> str:
    """A fresh audience identity the in-process app accepts."""
    return new_token(secret)


def e2e_audience_token() -> str:
    """A fresh audience identity a LiveServer process accepts."""
    return new_token(E2E_SECRET)
