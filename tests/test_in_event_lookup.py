"""One rule for "that … is not in this event": a row of another event is never found through this one, whether
it is loaded as an object (``get_in_event``) or read as columns on a hot path (``columns_in_event``)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from forum.db import columns_in_event, get_in_event
from forum.errors import NotFound
from forum.models import AgendaQuestion

_COLUMNS = select(AgendaQuestion.id, AgendaQuestion.event_id, AgendaQuestion.text).where(
    AgendaQuestion.id == bindparam("record_id")
)


def _as_object(session, record_id, event_id, message, **options):
    return get_in_event(session, AgendaQuestion, record_id, event_id, message, **options)


def _as_columns(session, record_id, event_id, message, **options):
    return columns_in_event(session, _COLUMNS, record_id, event_id, message, **options)


@pytest.mark.parametrize("lookup", [_as_object, _as_columns], ids=["object", "columns"])
def test_a_row_is_found_only_through_its_own_event(app, make_event, make_question, db_session, lookup):
    ours, theirs = make_event(), make_event()
    question = make_question(ours, "Ours?")
    other = make_question(theirs, "Theirs?")
    found = lookup(db_session, question.id, ours.id, "Not on this agenda.")
    assert (found.id, found.text) == (question.id, "Ours?")
    for record_id in (other.id, None, 2**31 - 1):
        with pytest.raises(NotFound, match=r"Not on this agenda\."):
            lookup(db_session, record_id, ours.id, "Not on this agenda.")
    with pytest.raises(NotFound):
        lookup(db_session, question.id, ours.id, "Hidden.", refuse_if=lambda q: q.text == "Ours?")
