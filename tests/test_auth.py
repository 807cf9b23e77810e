"""Organizer accounts through the real forms: sign up, sign in, sign out."""

from __future__ import annotations

from typing import Any

import pytest
from itsdangerous import BadSignature
from sqlalchemy import select

from forum.boundary import unit_of_work
from forum.errors import PermissionDenied
from forum.models import Event, Organizer
from tests.conftest import DEFAULT_PASSWORD


def _sign_up(client, **overrides):
    data = {
        "display_name": "Kim Organizer",
        "email": "Kim@Example.org",
        "password": "a long passphrase",
        "confirm": "a long passphrase",
        **overrides,
    }
    return client.post("/auth/signup", data=data)


def test_sign_up_creates_an_argon2_account_and_signs_in(client, db_session):
    response = _sign_up(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/manage/")
    organizer = db_session.scalar(select(Organizer))
    assert organizer.email == "kim@example.org"
    assert organizer.password_hash.startswith("$argon2id$")
    assert "a long passphrase" not in organizer.password_hash
    assert client.get("/manage/").status_code == 200


def test_korean_names_work_end_to_end(client, db_session):
    assert _sign_up(client, display_name="오경미").status_code == 302
    page = client.get("/manage/").get_data(as_text=True)
    assert "오경미" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-address"}, "Enter an e-mail address"),
        ({"password": "short", "confirm": "short"}, "Field must be between 10 and 200 characters long."),
        ({"confirm": "something else"}, "The passwords differ."),
        ({"display_name": "   "}, "This field is required."),
        ({"display_name": "x" * 121}, "Field cannot be longer than 120 characters."),
    ],
)
def test_sign_up_refusals_are_specific(client, db_session, overrides, message):
    response = _sign_up(client, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(Organizer)) is None


def test_duplicate_email_is_refused(client, make_organizer):
    make_organizer(email="taken@example.org")
    response = _sign_up(client, email="TAKEN@example.org")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_sign_in_and_out(client, make_organizer):
    organizer = make_organizer()
    response = client.post(
        "/auth/signin", data={"email": organizer.email.upper(), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/manage/").status_code == 200
    assert client.post("/auth/signout").status_code == 302
    assert client.get("/manage/").status_code == 302


@pytest.mark.parametrize("email", ["organizer1@example.org", "nobody@example.org"])
def test_wrong_credentials_get_one_vague_message(client, make_organizer, email):
    make_organizer()
    response = client.post("/auth/signin", data={"email": email, "password": "wrong password!"})
    assert response.status_code == 422
    assert "do not match an account" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/manage/new", "/manage/new"), ("https://evil.example/", "/manage/"), ("//evil", "/manage/")],
)
def test_sign_in_redirects_only_within_the_site(client, make_organizer, next_url, expected):
    organizer = make_organizer()
    response = client.post(
        "/auth/signin",
        query_string={"next": next_url},
        data={"email": organizer.email, "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"].endswith(expected)
    assert "evil" not in response.headers["Location"]


def test_pages_for_organizers_send_visitors_to_sign_in(client):
    response = client.get("/manage/")
    assert response.status_code == 302
    assert "/auth/signin" in response.headers["Location"]


def test_sign_up_can_be_switched_off(app_config, database_url):
    from forum import create_app

    app = create_app({**app_config, "DATABASE_URL": database_url, "ALLOW_SIGNUP": False})
    assert app.test_client().get("/auth/signup").status_code == 404


def test_sign_in_attempts_are_rate_limited_per_network(app, client, make_organizer):
    import limits

    organizer = make_organizer()
    app.extensions["forum.rate_limits"].items["signin"] = limits.parse("3/minute")
    for _ in range(3):
        assert (
            client.post(
                "/auth/signin", data={"email": organizer.email, "password": "wrong guess!"}
            ).status_code
            == 422
        )
    response = client.post("/auth/signin", data={"email": organizer.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "Too many sign-in attempts from your network" in response.get_data(as_text=True)


def test_failed_sign_ins_to_one_account_slow_down_from_any_address_but_never_lock_an_office(
    app, make_organizer
):
    """Guesses at one account from ever-new addresses meet the per-account limit; other people behind the
    same addresses still sign in, and right passwords never count against an address."""
    import limits

    target, colleague = make_organizer(), make_organizer()
    app.extensions["forum.rate_limits"].items["signin_account"] = limits.parse("3/minute")
    app.extensions["forum.rate_limits"].items["signin"] = limits.parse("4/minute")

    def attempt(address: str, email: str, password: str):
        return app.test_client().post(
            "/auth/signin", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
        )

    for n in range(3):
        assert attempt(f"10.0.0.{n}", target.email, "wrong guess!").status_code == 422
    refused = attempt("10.0.0.99", target.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins to this account" in refused.get_data(as_text=True)
    for _ in range(6):  # an office behind one address: successes do not count against it
        assert attempt("10.0.0.1", colleague.email, DEFAULT_PASSWORD).status_code == 302


def test_the_service_hashes_with_argon2id_at_the_librarys_recommended_cost():
    """The suite signs in with a low-cost hasher (tests/conftest.py); the one the app uses is not it."""
    from argon2 import PasswordHasher, Type

    from tests.conftest import PRODUCTION_HASHER

    (production,) = PRODUCTION_HASHER
    recommended = PasswordHasher()
    assert production.type is Type.ID
    assert (production.time_cost, production.memory_cost, production.parallelism) == (
        recommended.time_cost,
        recommended.memory_cost,
        recommended.parallelism,
    )


def _copy_of(client) -> Any:
    """Another browser holding a copy of ``client``'s session cookie (as an attacker who stole it would)."""
    stolen = client.application.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    return stolen


def test_signing_out_ends_every_session_and_live_connection(app, client, make_live_event, live_client, login):
    """After sign-out a copied session cookie opens nothing, and the organizer's open live connection is
    closed (on this process) and refused any further action (on any process: checked on each action)."""
    from tests.conftest import act

    live = make_live_event()
    login(live.organizer)
    other_browser = app.test_client()
    other_browser.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})
    stolen = _copy_of(client)
    assert stolen.get("/manage/").status_code == 200
    console = live_client({"event": live.event.slug}, flask_client=client)
    kept = live_client({"event": live.event.slug}, flask_client=_copy_of(client))
    assert act(kept, "session.start")["ok"]

    assert client.post("/auth/signout").status_code == 302

    for browser in (client, stolen, other_browser):
        assert browser.get("/manage/").status_code == 302, "sent to sign in"
    assert not console.is_connected("/live") and not kept.is_connected("/live")
    reconnected = live_client({"event": live.event.slug}, flask_client=stolen).get_received("/live")
    assert "moderate" not in reconnected[0]["args"][0]["you"]["capabilities"], "only audience now"


def test_an_action_from_a_connection_opened_before_sign_out_is_refused(app, make_live_event, live_client):
    """The per-action check, which is what holds on another process where the disconnect cannot reach."""
    from forum.access import organizer_actor
    from forum.accounts import accounts
    from forum.live import admission

    live = make_live_event()
    with app.app_context(), unit_of_work() as session:
        organizer = session.get(Organizer, live.organizer.id)
        actor = organizer_actor(organizer, session.get(Event, live.event.id))
        admission.confirm(session, actor)
        accounts.end_every_session(session, organizer)
    with app.app_context(), unit_of_work() as session, pytest.raises(PermissionDenied) as refused:
        admission.confirm(session, actor)
    assert refused.value.code == "signed_out"


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(
    app, client, runner, make_organizer, login
):
    organizer = make_organizer()
    login(organizer)
    assert client.get("/manage/").status_code == 200
    result = runner.invoke(
        args=["forum", "set-password", organizer.email, "--password", "a new long passphrase"]
    )
    assert result.exit_code == 0, result.output
    assert client.get("/manage/").status_code == 302


@pytest.mark.parametrize(
    ("config", "headers", "secure"),
    [
        ({}, {}, False),
        ({"PROXY_COUNT": 1}, {"X-Forwarded-Proto": "https"}, True),
        ({"SESSION_COOKIE_SECURE": True}, {}, True),
    ],
)
def test_cookies_are_secure_and_hsts_is_sent_behind_https(
    app_config, database_url, make_organizer, config, headers, secure
):
    from forum import create_app

    organizer = make_organizer()
    app = create_app({**app_config, **config, "DATABASE_URL": database_url})
    client = app.test_client()
    page = client.post(
        "/auth/signin", data={"email": organizer.email, "password": DEFAULT_PASSWORD}, headers=headers
    )
    language = client.get("/language/ko", headers=headers)
    cookies = page.headers.getlist("Set-Cookie") + language.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "forum_lang"}, cookies
    assert all(("; Secure" in c) == secure for c in cookies), cookies
    over_https = headers.get("X-Forwarded-Proto") == "https"
    assert ("Strict-Transport-Security" in page.headers) == over_https
    app.extensions["forum.db"].dispose()


def test_an_unreachable_rate_limit_store_degrades_to_counting_in_process(
    app_config, database_url, make_organizer, caplog
):
    """Redis gone (a closed port here): signing in still works, limits still hold (in this process), the
    change is logged once, and nothing answers 500."""
    import logging

    import limits

    from forum import create_app

    organizer = make_organizer()
    app = create_app(
        {**app_config, "DATABASE_URL": database_url, "RATE_LIMIT_STORAGE": "redis://127.0.0.1:1/0"}
    )
    app.extensions["forum.rate_limits"].items["signin"] = limits.parse("2/minute")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="forum.rate_limits"):
        right = {"email": organizer.email, "password": DEFAULT_PASSWORD}
        assert client.post("/auth/signin", data=right).status_code == 302
        client.post("/auth/signout")
        for _ in range(2):
            assert client.post("/auth/signin", data={**right, "password": "wrong guess!"}).status_code == 422
        assert client.post("/auth/signin", data=right).status_code == 429
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1 and app.extensions["forum.rate_limits"].degraded
    app.extensions["forum.db"].dispose()


def test_the_session_signer_is_built_once_per_secret_key(app):
    """Every live action opens the session cookie: its signer is kept, and a new key gets a new one."""
    cookies = app.session_interface
    first = cookies.get_signing_serializer(app)
    assert cookies.get_signing_serializer(app) is first
    signed_before = first.dumps({"n": 1})
    app.secret_key = "a rotated key"
    second = cookies.get_signing_serializer(app)
    assert second is not first and second.loads(second.dumps({"n": 2})) == {"n": 2}
    with pytest.raises(BadSignature):
        second.loads(signed_before)
    app.config["SECRET_KEY_FALLBACKS"] = ["test-secret"]  # the old key, still accepted while cookies expire
    assert cookies.get_signing_serializer(app).loads(signed_before) == {"n": 1}
