"""Organizer accounts through the real forms: sign up, sign in, sign out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.models import Organizer
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
    assert response.status_code == 422
    assert "Too many sign-in attempts from your network" in response.get_data(as_text=True)


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
