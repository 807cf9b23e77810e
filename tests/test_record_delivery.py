"""The record tells words said in the session from answers sent in writing: in the review editor, in every
published view and export, through an import of the plain-text export, and not at all (without failing) in
documents published before the distinction existed."""

from __future__ import annotations

import copy
import io
import json
import re

import jsonschema
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from forum import PROJECT_ROOT, access
from forum.boundary import unit_of_work
from forum.events import contributions
from forum.events.importer import parse_summary
from forum.live import capture, proceedings
from forum.models import Contribution, ContributionSource, Event, Organizer, Participant, TranscriptVersion

SCHEMA = json.loads((PROJECT_ROOT / "docs" / "transcript.schema.json").read_text())
WRITTEN = "I wrote this before the event."
SAID = "I said this in the room."
HONG = "Hong spoke here."
ONLY_SAID = "Only said, never written."


@pytest.fixture
def both_ways(app, make_live_event):
    """Kimmy sent a written answer to question 1 and also spoke to it; Hong only spoke; on question 2
    Kimmy only spoke."""
    live = make_live_event()
    kimmy, hong = live.people["kimmy"], live.people["hong"]
    first, second = live.questions[0].id, live.questions[1].id
    with app.app_context(), unit_of_work() as session:
        live.written = contributions.save_prepared_answer(
            session, session.get(Participant, kimmy.id), first, WRITTEN
        ).id
    with app.app_context(), unit_of_work() as session:
        actor = access.organizer_actor(
            session.get(Organizer, live.organizer.id), session.get(Event, live.event.id)
        )
        proceedings.start_session(session, actor)
        live.said = capture.add_contribution(
            session, actor, participant_id=kimmy.id, question_id=first, text=SAID
        )
        capture.add_contribution(session, actor, participant_id=hong.id, question_id=first, text=HONG)
        capture.add_contribution(session, actor, participant_id=kimmy.id, question_id=second, text=ONLY_SAID)
        proceedings.end_session(session, actor)
    return live


def _publish(client, event_id):
    assert client.post(f"/manage/{event_id}/record/publish").status_code == 303


def _block(page: str, opening: str) -> str:
    """The HTML of one element, from its opening tag's id to the element's end."""
    return re.search(rf'id="{opening}".*?</(?:article|section)>', page, re.S).group(0)


def _import(app, runner, exported, tmp_path, original_id):
    """Import a .txt export through the command line: the new event and its contributions' sources."""
    path = tmp_path / "imported.txt"
    path.write_text(exported, encoding="utf-8")
    result = runner.invoke(args=["forum", "import", str(path), "--timezone", "Asia/Seoul"])
    assert result.exit_code == 0, result.output
    with app.app_context(), unit_of_work() as session:
        imported = session.scalar(select(Event).where(Event.id != original_id))
        sources = {
            c.text: c.source
            for c in session.scalars(select(Contribution).where(Contribution.event_id == imported.id))
        }
        session.expunge(imported)
    return imported, sources


def _deliveries(document):
    return {c["anchor"]: c["delivery"] for q in document["questions"] for c in q["contributions"]}


def test_the_editor_labels_each_contribution_and_puts_both_ways_side_by_side(client, both_ways, login):
    login(both_ways.organizer)
    editor = f"/manage/{both_ways.event.id}/record"
    page = client.get(editor).get_data(as_text=True)
    written, said = _block(page, f"c{both_ways.written}"), _block(page, f"c{both_ways.said}")
    assert "written answer" in written and "said in the session" not in written
    assert "said in the session" in said and "written answer" not in said

    side_by_side = re.search(r'class="said-and-written".*?</div>\s*</div>', page, re.S).group(0)
    assert "Oh Kyoungmi has both words said in the session and a written answer" in side_by_side
    assert side_by_side.index("said in the session</span>") < side_by_side.index(SAID)
    assert side_by_side.index("written answer</span>") < side_by_side.index(WRITTEN)
    assert "Hong Myeong-gyo has both" not in page, "only a speaker with both is compared"

    only_written = client.get(editor, query_string={"delivery": "written"}).get_data(as_text=True)
    assert f'id="c{both_ways.written}"' in only_written and f'id="c{both_ways.said}"' not in only_written
    only_said = client.get(editor, query_string={"delivery": "said"}).get_data(as_text=True)
    assert f'id="c{both_ways.said}"' in only_said and f'id="c{both_ways.written}"' not in only_said


def test_the_panelist_sees_which_of_their_answers_is_which(app, both_ways):
    page = app.test_client().get(f"/invite/{both_ways.tokens['kimmy']}/review").get_data(as_text=True)
    assert "written answer" in _block(page, f"c{both_ways.written}")
    assert "said in the session" in _block(page, f"c{both_ways.said}")


def test_every_published_view_labels_said_and_written_answers(app, client, both_ways, login):
    login(both_ways.organizer)
    _publish(client, both_ways.event.id)
    reader, slug = app.test_client(), both_ways.event.slug

    page = reader.get(f"/archive/{slug}").get_data(as_text=True)
    written, said = _block(page, "q1-kimmy"), _block(page, "q1-kimmy-2")
    assert WRITTEN in written and "written answer</span>" in written and "said in the session" not in written
    assert SAID in said and "said in the session</span>" in said and "written answer" not in said
    assert "said in the session</span>" in _block(page, "q1-hong-myeong-gyo")

    own = reader.get(f"/archive/{slug}/panelists/kimmy").get_data(as_text=True)
    assert re.search(rf"written answer</span></p>\s*<p>{re.escape(WRITTEN)}", own)
    assert re.search(rf"said in the session</span></p>\s*<p>{re.escape(SAID)}", own)

    document = reader.get(f"/archive/{slug}.json").get_json()
    jsonschema.validate(document, SCHEMA)
    assert document["schema_version"] == 2
    assert _deliveries(document) == {
        "q1-kimmy": "written",
        "q1-kimmy-2": "said",
        "q1-hong-myeong-gyo": "said",
        "q2-kimmy": "said",
    }
    stripped = copy.deepcopy(document)
    del stripped["questions"][0]["contributions"][0]["delivery"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(stripped, SCHEMA)
    person = reader.get(f"/archive/{slug}/panelists/kimmy.json").get_json()
    assert [c["delivery"] for q in person["questions"] for c in q["contributions"]] == [
        "written",
        "said",
        "said",
    ]

    md = reader.get(f"/archive/{slug}.md").get_data(as_text=True)
    assert f"**Kimmy** *(written answer)*\n\n{WRITTEN}" in md
    assert f"**Kimmy** *(said in the session)*\n\n{SAID}" in md
    assert f"**Hong Myeong-gyo** *(said in the session)*\n\n{HONG}" in md
    own_md = reader.get(f"/archive/{slug}/panelists/kimmy.md").get_data(as_text=True)
    assert f"*(written answer)*\n\n{WRITTEN}" in own_md and f"*(said in the session)*\n\n{SAID}" in own_md

    pdf = reader.get(f"/archive/{slug}.pdf").get_data()
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert re.search(
        rf"written answer {re.escape(WRITTEN)} .*said in the session {re.escape(SAID)} "
        rf".*said in the session {re.escape(HONG)}",
        text,
    ), text


def test_plain_text_marks_written_answers_and_an_import_keeps_them(
    app, client, runner, both_ways, tmp_path, login
):
    login(both_ways.organizer)
    _publish(client, both_ways.event.id)
    reader, slug = app.test_client(), both_ways.event.slug

    full = reader.get(f"/archive/{slug}.txt").get_data(as_text=True).splitlines()
    assert f"Kimmy (written answer): {WRITTEN}" in full
    assert f"Kimmy (said in the session): {SAID}" in full
    assert f"Hong Myeong-gyo: {HONG}" in full and f"Kimmy: {ONLY_SAID}" in full, (
        "where nobody wrote, the summary layout is unchanged"
    )

    exported = reader.get(f"/archive/{slug}/panelists/kimmy.txt").get_data(as_text=True)
    lines = exported.splitlines()
    first = lines.index(f"1. {both_ways.questions[0].text}")
    assert lines[first + 1 : first + 5] == [
        f"(written answer) {WRITTEN}",
        f"(said in the session) {SAID}",
        f"2. {both_ways.questions[1].text}",
        ONLY_SAID,
    ]
    parsed = parse_summary(exported)
    assert [t for *_, t in parsed.said] == [WRITTEN, SAID, ONLY_SAID]
    assert parsed.delivery == {0: "written", 1: "said"}

    imported, sources = _import(app, runner, exported, tmp_path, both_ways.event.id)
    imported_id, imported_slug = imported.id, imported.slug
    assert sources == {
        WRITTEN: ContributionSource.PREPARED,
        SAID: ContributionSource.LIVE,
        ONLY_SAID: ContributionSource.IMPORTED,
    }
    _publish(client, imported_id)
    again = reader.get(f"/archive/{imported_slug}.json").get_json()
    jsonschema.validate(again, SCHEMA)
    assert [(c["text"], c["delivery"]) for q in again["questions"] for c in q["contributions"]] == [
        (WRITTEN, "written"),
        (SAID, "said"),
        (ONLY_SAID, None),
    ]
    second = reader.get(f"/archive/{imported_slug}/panelists/kimmy.txt").get_data(as_text=True)
    assert second.splitlines()[first:] == lines[first:], "a second round trip changes nothing"


def test_a_document_published_before_the_distinction_still_renders(app, client, both_ways, db_session, login):
    login(both_ways.organizer)
    _publish(client, both_ways.event.id)
    version = db_session.scalar(
        select(TranscriptVersion).where(TranscriptVersion.event_id == both_ways.event.id)
    )
    old = copy.deepcopy(version.content)
    old["schema_version"] = 1
    for question in old["questions"]:
        for item in question["contributions"]:
            del item["delivery"]
    version.content = old
    db_session.commit()

    reader, slug = app.test_client(), both_ways.event.slug
    for path in [f"/archive/{slug}", f"/archive/{slug}/panelists/kimmy", f"/archive/{slug}/versions/1"]:
        page = reader.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert WRITTEN in html and SAID in html
        assert "written answer" not in html and "said in the session" not in html, path
    document = reader.get(f"/archive/{slug}.json").get_json()
    jsonschema.validate(document, SCHEMA)
    assert "delivery" not in document["questions"][0]["contributions"][0]
    for fmt in ["md", "txt"]:
        for path in [f"/archive/{slug}.{fmt}", f"/archive/{slug}/panelists/kimmy.{fmt}"]:
            text = reader.get(path).get_data(as_text=True)
            assert WRITTEN in text and "written answer" not in text and "said in the session" not in text
    assert f"Kimmy: {WRITTEN}" in reader.get(f"/archive/{slug}.txt").get_data(as_text=True)
    pdf = reader.get(f"/archive/{slug}.pdf")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert WRITTEN in text and "written answer" not in text


def test_a_korean_events_plain_text_marks_are_korean_and_an_import_keeps_them(
    app, client, runner, both_ways, tmp_path, login
):
    with app.app_context(), unit_of_work() as session:
        session.get(Event, both_ways.event.id).language = "ko"
    login(both_ways.organizer)
    _publish(client, both_ways.event.id)
    reader, slug = app.test_client(), both_ways.event.slug
    exported = reader.get(f"/archive/{slug}/panelists/kimmy.txt", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    lines = exported.splitlines()
    first = lines.index(f"1. {both_ways.questions[0].text}")
    assert lines[first + 1 : first + 3] == [f"(서면 답변) {WRITTEN}", f"(세션 중 발언) {SAID}"]
    with app.test_request_context():
        parsed = parse_summary(exported)
    assert [t for *_, t in parsed.said] == [WRITTEN, SAID, ONLY_SAID]
    assert parsed.delivery == {0: "written", 1: "said"}
    imported, sources = _import(app, runner, exported, tmp_path, both_ways.event.id)
    assert imported.title == both_ways.event.title
    assert sources == {
        WRITTEN: ContributionSource.PREPARED,
        SAID: ContributionSource.LIVE,
        ONLY_SAID: ContributionSource.IMPORTED,
    }
