"""Health check and error answers: specific messages, right status codes, never a bare 500 page."""

from __future__ import annotations

from flask import Flask

from forum import create_app


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(app_config, tmp_path):
    broken = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "unreachable"}


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_not_500(client):
    response = client.get("/auth/signout")
    assert response.status_code == 405


def test_unexpected_exception_rolls_back_and_shows_a_clear_page(app: Flask, make_organizer):
    from forum.db import get_session
    from forum.models import Organizer

    @app.get("/_boom")
    def boom():
        get_session().add(Organizer(email="half@example.org", display_name="Half", password_hash="x"))
        get_session().flush()
        raise RuntimeError("kaboom")

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert "nothing was saved" in response.get_data(as_text=True)
    with app.app_context():
        from sqlalchemy import select

        assert get_session().scalar(select(Organizer).where(Organizer.email == "half@example.org")) is None


def test_csrf_is_enforced_with_a_clear_message(app_config, database_url):
    app = create_app({**app_config, "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True})
    response = app.test_client().post("/auth/signin", data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 400
    assert "form has expired or was not sent from this site" in response.get_data(as_text=True)


def test_security_headers_are_set(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_database_failure_mid_request_still_gives_a_signed_in_organizer_the_error_page(
    app: Flask, client, login, make_organizer, make_event
):
    """Found by fuzzing: after a failed statement the session cannot be used until it is rolled back, and
    the error page itself reads the database (the header names the signed-in organizer)."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    owner = make_organizer()
    made = make_event(owner)
    login(owner)

    def fail_event_updates(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE EVENTS"):
            raise OperationalError(statement, {}, Exception("the disk is full"))

    engine = app.extensions["forum.db"].engine
    event.listen(engine, "before_cursor_execute", fail_event_updates)
    try:
        response = client.post(
            f"/manage/{made.id}/audience", data={"word_list": "spam", "report_threshold": "5"}
        )
    finally:
        event.remove(engine, "before_cursor_execute", fail_event_updates)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "nothing was saved" in page and owner.display_name in page
