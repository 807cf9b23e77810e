"""The request boundary owns commit and rollback: a refusal is rolled back although its answer is a redirect
(a plain form post) or a form shown again, without the route touching the session."""

from __future__ import annotations

import pytest
from flask import Response, redirect
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from forum.db import get_session
from forum.errors import InvalidInput
from forum.models import HostOrganisation, Organizer
from forum.web import form_action, form_page


class NameForm(FlaskForm):
    name = StringField()


def _write_then_refuse(organizer_id: int) -> None:
    """A service that changed the session before it found a reason to refuse."""
    get_session().add(HostOrganisation(organizer_id=organizer_id, name="Half-written host"))
    get_session().flush()
    raise InvalidInput("Refused after a write.", fields={"name": "Not this name."})


def _write(organizer_id: int) -> str:
    get_session().add(HostOrganisation(organizer_id=organizer_id, name="Kept host"))
    return "ok"


@pytest.fixture
def routes(app, make_organizer):
    owner = make_organizer()

    def action(refuse: str) -> Response:
        call = (lambda: _write_then_refuse(owner.id)) if refuse == "yes" else (lambda: _write(owner.id))
        return form_action(call, done="Done.", back="/")

    def page(refuse: str) -> Response | tuple[str, int]:
        form = NameForm(meta={"csrf": False})
        call = (lambda: _write_then_refuse(owner.id)) if refuse == "yes" else (lambda: _write(owner.id))
        return form_page("confirm.html", form, call, lambda _result: redirect("/"), question="?", carried=[])

    app.add_url_rule("/_test/action/<refuse>", "test_action", action, methods=["POST"])
    app.add_url_rule("/_test/page/<refuse>", "test_page", page, methods=["POST"])
    return owner


def _hosts(app, name: str) -> int:
    with app.app_context():
        return get_session().scalar(
            select(func.count()).select_from(HostOrganisation).where(HostOrganisation.name == name)
        )


def test_a_refused_plain_form_post_is_rolled_back_although_it_redirects(app, client, routes):
    response = client.post("/_test/action/yes")
    assert response.status_code == 303
    assert _hosts(app, "Half-written host") == 0
    assert client.post("/_test/action/no").status_code == 303
    assert _hosts(app, "Kept host") == 1, "a success still commits"


def test_a_refusal_shown_on_the_form_is_rolled_back(app, client, routes):
    response = client.post("/_test/page/yes", data={"name": "x"})
    assert response.status_code == 422, "the form is shown again, as an error of the form"
    assert _hosts(app, "Half-written host") == 0
    assert client.post("/_test/page/no", data={"name": "x"}).status_code == 302
    assert _hosts(app, "Kept host") == 1
    with app.app_context():
        assert get_session().get(Organizer, routes.id) is not None
