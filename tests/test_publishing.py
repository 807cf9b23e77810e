"""After the event: review, approval, publishing with immutable versions, the archive, exports, search."""

from __future__ import annotations

import io
import json
import re
import secrets
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jsonschema
import markdown
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from forum import PROJECT_ROOT, access
from forum.audience import asking, moderation, polls
from forum.boundary import unit_of_work
from forum.events import contributions
from forum.events.importer import parse_summary
from forum.live import capture, floor, proceedings
from forum.models import Contribution, Event, EventStatus, Organizer, Participant

SCHEMA = json.loads((PROJECT_ROOT / "docs" / "transcript.schema.json").read_text())


def _actor(session, live):
    return access.organizer_actor(
        session.get(Organizer, live.organizer.id), session.get(Event, live.event.id)
    )


@pytest.fixture
def held(app, make_live_event):
    """An event whose session ran: prompts, live answers, a written answer, audience questions, a poll."""
    live = make_live_event()
    kimmy, hong = live.people["kimmy"], live.people["hong"]
    with app.app_context(), unit_of_work() as session:
        actor = _actor(session, live)
        proceedings.start_session(session, actor)
        proceedings.save_prompt(session, actor, live.questions[0].id, "Let us start with borders.")
        polls.open_poll(session, actor, phase="before")
        floor.give_floor(session, actor, kimmy.id)
        live.first = capture.add_contribution(
            session, actor, participant_id=kimmy.id, text="Forums for solidarity."
        )
        live.second = capture.add_contribution(
            session, actor, participant_id=kimmy.id, text="And shared reports."
        )
        live.hong_answer = capture.add_contribution(
            session,
            actor,
            participant_id=hong.id,
            text="플랫폼 규제가 답은 아닙니다. Regulation alone fails.",
        )
        proceedings.step_question(session, actor, +1)
        capture.add_contribution(session, actor, participant_id=hong.id, text="Education first.")
        contributions.save_prepared_answer(
            session, session.get(Participant, kimmy.id), live.questions[1].id, "Media literacy matters too."
        )
        moderation.update_settings(session, actor, premoderation=False)
        member = access.Actor(
            event_id=live.event.id, role="audience", audience_token_hash=secrets.token_hex(32)
        )
        asked = asking.ask(
            session,
            member,
            text="What about Signal?",
            display_name="Minji",
            about_current=True,
            client_id="ask-00001",
        )
        moderation.mark_answered(session, actor, asked["question_id"], True)
        proceedings.end_session(session, actor)
    return live


def _publish(client, live, note=None):
    data = {"correction_note": note} if note else {}
    return client.post(f"/manage/{live.event.id}/record/publish", data=data)


def test_full_flow_review_approve_publish_correct(app, client, held, db_session, login):
    login(held.organizer)
    editor = client.get(f"/manage/{held.event.id}/record").get_data(as_text=True)
    assert "Forums for solidarity." in editor and "Media literacy matters too." in editor
    # The organizer corrects, reorders and merges; the panelist approves through the link.
    base = f"/manage/{held.event.id}/record/contributions"
    client.post(f"{base}/{held.first}/correct", data={"text": "Forums for solidarity are needed."})
    client.post(f"{base}/{held.second}/merge")
    panelist = app.test_client()
    review_page = panelist.get(f"/invite/{held.tokens['kimmy']}/review").get_data(as_text=True)
    assert "Forums for solidarity are needed.\n\nAnd shared reports." in review_page
    panelist.post(f"/invite/{held.tokens['kimmy']}/review", data={"op": "approve-all"})

    response = _publish(client, held)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/archive/{held.event.slug}"
    )
    assert db_session.get(Event, held.event.id).status == EventStatus.PUBLISHED
    page = app.test_client().get(f"/archive/{held.event.slug}").get_data(as_text=True)
    assert "Forums for solidarity are needed." in page and "And shared reports." in page
    assert 'id="q1-kimmy"' in page and "approved by the speaker" in page
    assert "Let us start with borders." in page and "What about Signal?" in page
    assert "Poll (before the discussion)" in page and "Speaking time" in page
    assert 'property="og:title"' in page

    # A correction without a note is refused; with one it becomes version 2; version 1 stays as it was.
    client.post(
        f"{base}/{held.hong_answer}/correct", data={"text": "Platform rules are not the whole answer."}
    )
    refused = _publish(client, held)
    assert "Say what this new version corrects" in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    _publish(client, held, "Corrected Hong Myeong-gyo's first answer.")
    reader = app.test_client()
    current = reader.get(f"/archive/{held.event.slug}").get_data(as_text=True)
    assert "Platform rules are not the whole answer." in current
    assert "Corrected Hong Myeong-gyo&#39;s first answer." in current
    first = reader.get(f"/archive/{held.event.slug}/versions/1").get_data(as_text=True)
    assert "플랫폼 규제가 답은 아닙니다." in first and "This is an earlier version." in first
    assert "approved by the speaker" not in re.search(r'id="q1-hong.*?</article>', current, re.S).group(0)
    versions = reader.get(f"/archive/{held.event.slug}/versions").get_data(as_text=True)
    assert "Version 2" in versions and "Version 1" in versions

    # Unpublishing hides every version, and the search forgets it.
    client.post(f"/manage/{held.event.id}/record/unpublish", data={"confirmed": "1"})
    assert reader.get(f"/archive/{held.event.slug}").status_code == 404
    assert reader.get(f"/archive/{held.event.slug}/versions/1").status_code == 404
    assert "Platform rules" not in reader.get("/archive/search?q=platform").get_data(as_text=True)


def test_an_edited_answer_loses_its_approval(app, client, held, login):
    login(held.organizer)
    app.test_client().post(f"/invite/{held.tokens['kimmy']}/review", data={"op": "approve-all"})
    client.post(
        f"/manage/{held.event.id}/record/contributions/{held.first}/correct", data={"text": "Changed."}
    )
    _publish(client, held)
    record = app.test_client().get(f"/archive/{held.event.slug}.json").get_json()
    approvals = {c["text"]: c["approved_by_speaker"] for q in record["questions"] for c in q["contributions"]}
    assert approvals["Changed."] is False and approvals["And shared reports."] is True


def test_hidden_and_refiled_contributions(app, client, held, db_session, login):
    login(held.organizer)
    base = f"/manage/{held.event.id}/record/contributions"
    client.post(f"{base}/{held.second}/hide")
    client.post(f"{base}/{held.hong_answer}/refile", data={"question_id": str(held.questions[2].id)})
    client.post(f"{base}/{held.first}/down")
    _publish(client, held)
    record = app.test_client().get(f"/archive/{held.event.slug}.json").get_json()
    texts = [[c["text"] for c in q["contributions"]] for q in record["questions"]]
    assert texts[0] == ["Forums for solidarity."]
    assert "플랫폼 규제가 답은 아닙니다. Regulation alone fails." in texts[2]
    assert db_session.get(Contribution, held.second).hidden is True


def test_exports_parse(app, client, held, login):
    login(held.organizer)
    _publish(client, held)
    reader = app.test_client()
    slug = held.event.slug
    document = reader.get(f"/archive/{slug}.json").get_json()
    jsonschema.validate(document, SCHEMA)
    assert document["version"]["number"] == 1
    assert [q["number"] for q in document["questions"]] == [1, 2, 3]

    md = reader.get(f"/archive/{slug}.md")
    assert md.headers["Content-Type"].startswith("text/markdown")
    html = markdown.markdown(md.get_data(as_text=True))
    assert html.count("<h2>") >= 3 and f"<h1>{held.event.title}</h1>" in html
    assert '<a id="q1-kimmy"></a>' in md.get_data(as_text=True)

    txt = reader.get(f"/archive/{slug}.txt").get_data(as_text=True)
    assert "1. Is there a need for an international consensus?" in txt
    assert "Kimmy: Forums for solidarity." in txt
    assert "Audience question (Minji, 0 votes): What about Signal?" in txt
    assert "Poll (before the discussion)" in txt

    pdf = reader.get(f"/archive/{slug}.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert held.event.title in text and "Forums for solidarity." in text
    assert "플랫폼 규제가 답은 아닙니다." in text, "Hangul survives into the PDF"

    person = reader.get(f"/archive/{slug}/panelists/kimmy.json").get_json()
    assert person["panelist"]["short_name"] == "Kimmy"
    assert all(c["speaker"] == "kimmy" for q in person["questions"] for c in q["contributions"])
    assert reader.get(f"/archive/{slug}/panelists/kimmy.pdf").status_code == 200
    assert reader.get(f"/archive/{slug}/panelists/nobody").status_code == 404
    assert reader.get(f"/archive/{slug}.docx").status_code == 404


def test_per_panelist_text_has_the_reference_shape_and_reads_back(app, client, held, login):
    login(held.organizer)
    _publish(client, held)
    text = app.test_client().get(f"/archive/{held.event.slug}/panelists/kimmy.txt").get_data(as_text=True)
    lines = text.splitlines()
    assert lines[1] == "- Moderation: Jun-jjang"
    assert lines[2].startswith("- Panelist: Oh Kyoungmi (Open Net Korea), Hong Myeong-gyo (Platform C)")
    assert lines[3] == "Here are Kimmy's answers to the main questions discussed during the debate:"
    assert lines[4] == "1. Is there a need for an international consensus?"
    parsed = parse_summary(text)
    assert parsed.questions == [held.questions[0].text, held.questions[1].text]
    assert [t for _, _, _, t in parsed.said] == [
        "Forums for solidarity.\n\nAnd shared reports.",
        "Media literacy matters too.",
    ]


def test_search_finds_korean_and_english(app, client, held, login):
    login(held.organizer)
    reader = app.test_client()
    assert "0 results" in reader.get("/archive/search?q=regulation").get_data(as_text=True), (
        "drafts stay private"
    )
    _publish(client, held)
    for query in ["규제", "플랫폼", "regul", "Regulation alone", "solidarity"]:
        page = reader.get("/archive/search", query_string={"q": query}).get_data(as_text=True)
        assert f"/archive/{held.event.slug}#q" in page, query
    korean = reader.get("/archive/search", query_string={"q": "규제"}).get_data(as_text=True)
    assert f'href="/archive/{held.event.slug}#q1-hong-myeong-gyo"' in korean
    assert "0 results" in reader.get("/archive/search", query_string={"q": "규칙"}).get_data(as_text=True)
    assert "0 results" in reader.get("/archive/search", query_string={"q": "보이콧"}).get_data(as_text=True)


def test_unpublished_and_draft_records_stay_private(app, make_live_event, make_organizer, make_event):
    draft = make_event(make_organizer(), title="Secret draft")
    reader = app.test_client()
    for path in [
        f"/archive/{draft.slug}",
        f"/archive/{draft.slug}.json",
        f"/archive/{draft.slug}/versions/1",
        f"/archive/{draft.slug}/versions",
    ]:
        assert reader.get(path).status_code == 404, path
    assert "Secret draft" not in reader.get("/archive/").get_data(as_text=True)


def test_only_the_owner_reviews_and_publishes(app, held, make_organizer, login, client):
    login(make_organizer())
    assert client.get(f"/manage/{held.event.id}/record").status_code == 404
    assert client.post(f"/manage/{held.event.id}/record/publish").status_code == 404
    assert client.get(f"/manage/{held.event.id}/record/preview").status_code == 404


def test_preview_shows_the_unpublished_record(client, held, login):
    login(held.organizer)
    page = client.get(f"/manage/{held.event.id}/record/preview").get_data(as_text=True)
    assert "Forums for solidarity." in page


def test_cannot_publish_while_live(client, make_live_event, live_client, login):
    live = make_live_event()
    from tests.conftest import act

    act(live_client({"invite": live.tokens["moderator"]}), "session.start")
    login(live.organizer)
    response = _publish(client, live)
    assert "End the live session before publishing" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_archive_filters_and_feed(app, client, held, login):
    login(held.organizer)
    _publish(client, held)
    reader = app.test_client()
    assert held.event.title in reader.get("/archive/", query_string={"panelist": "Oh Kyoungmi"}).get_data(
        as_text=True
    )
    assert held.event.title not in reader.get("/archive/", query_string={"panelist": "Nobody"}).get_data(
        as_text=True
    )
    assert held.event.title in reader.get("/archive/", query_string={"year": "2024"}).get_data(as_text=True)
    assert held.event.title not in reader.get("/archive/", query_string={"year": "1999"}).get_data(
        as_text=True
    )
    host = "People Outraged by the Nth Room Incident"
    assert held.event.title in reader.get("/archive/", query_string={"host": host}).get_data(as_text=True)
    feed = reader.get("/archive/feed.atom")
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.get_data())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.find("a:title", ns).text for e in root.findall("a:entry", ns)] == [held.event.title]


def test_reader_comments(app, client, held, db_session, login):
    login(held.organizer)
    _publish(client, held)
    reader = app.test_client()
    slug = held.event.slug
    reader.get(f"/archive/{slug}")
    refused = reader.post(
        f"/archive/{slug}/comments",
        data={"anchor": "q1-kimmy", "text": "Hi", "client_id": "c-000001"},
        follow_redirects=True,
    )
    assert "Comments are switched off for this record." in refused.get_data(as_text=True)
    client.post(f"/manage/{held.event.id}/record/comments", data={"enabled": "true"})
    posted = reader.post(
        f"/archive/{slug}/comments",
        data={"anchor": "q1-kimmy", "text": "A thoughtful answer.", "client_id": "c-000002"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "your comment is posted" in posted and "A thoughtful answer." in posted
    reader.post(
        f"/archive/{slug}/comments",
        data={"anchor": "q1-kimmy", "text": "A thoughtful answer.", "client_id": "c-000002"},
    )
    assert posted.count("A thoughtful answer.") == 1
    bad = reader.post(
        f"/archive/{slug}/comments",
        data={"anchor": "q99-x", "text": "?", "client_id": "c-000003"},
        follow_redirects=True,
    )
    assert "There is no such answer in this record." in bad.get_data(as_text=True)
    from forum.models import ReaderComment

    comment_id = db_session.scalar(select(ReaderComment.id))
    for _ in range(3):
        other = app.test_client()
        other.get(f"/archive/{slug}")
        other.post(f"/archive/{slug}/comments/{comment_id}/report", data={"client_id": secrets.token_hex(8)})
    assert "A thoughtful answer." not in reader.get(f"/archive/{slug}").get_data(as_text=True), (
        "hidden at 3 reports"
    )
    client.post(f"/manage/{held.event.id}/record/comments/{comment_id}/show")
    assert "A thoughtful answer." in reader.get(f"/archive/{slug}").get_data(as_text=True)


def test_demo_record_is_published_by_the_seed(runner, app):
    runner.invoke(args=["forum", "seed"])
    reader = app.test_client()
    assert "Is it okay to use Telegram as it is?" in reader.get("/archive/").get_data(as_text=True)
    page = reader.get("/archive/is-it-okay-to-use-telegram-as-it-is/panelists/kimmy.txt").get_data(
        as_text=True
    )
    assert "Here are Kimmy's answers to the main questions discussed during the debate:" in page
    assert "7. Would boycotting Telegram be an effective response?" in page
    assert page.rstrip().splitlines()[-1].startswith("*About the host: A citizens' group")


def test_export_site_writes_a_static_archive(runner, app, tmp_path):
    runner.invoke(args=["forum", "seed"])
    out = tmp_path / "site"
    base = ["--base-url", "https://archive.example.org"]
    result = runner.invoke(args=["forum", "export-site", str(out), *base])
    assert result.exit_code == 0, result.output
    slug = "is-it-okay-to-use-telegram-as-it-is"
    record = (out / "archive" / slug / "index.html").read_text(encoding="utf-8")
    assert "Is it okay to use Telegram as it is?" in record and "Sign in" not in record
    json.loads((out / "archive" / f"{slug}.json").read_text(encoding="utf-8"))
    assert (out / "archive" / f"{slug}.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "archive" / slug / "panelists" / "kimmy.txt").exists()
    assert (out / "archive" / slug / "versions" / "1" / "index.html").exists()
    assert (out / "archive" / "feed.atom").exists() and (out / "static" / "css" / "forum.css").exists()
    feed = (out / "archive" / "feed.atom").read_text(encoding="utf-8")
    assert "https://archive.example.org/archive/" in feed and "localhost" not in feed + record
    assert f'<link rel="canonical" href="https://archive.example.org/archive/{slug}">' in record
    refused = runner.invoke(args=["forum", "export-site", str(tmp_path / "other")])
    assert refused.exit_code != 0 and "--base-url" in refused.output
    assert (
        "search"
        not in (out / "archive" / "index.html").read_text(encoding="utf-8").lower().split("<main")[1][:400]
    )


def test_editor_chooses_audience_questions_for_the_record(app, client, make_live_event, db_session, login):
    live = make_live_event()
    with app.app_context(), unit_of_work() as session:
        actor = _actor(session, live)
        proceedings.start_session(session, actor)
        moderation.update_settings(session, actor, premoderation=False)
        asked = []
        for n, text in enumerate(["Keep this one?", "Duplicate of the first?", "Off topic?"]):
            member = access.Actor(
                event_id=live.event.id, role="audience", audience_token_hash=secrets.token_hex(32)
            )
            asked.append(
                asking.ask(
                    session,
                    member,
                    text=text,
                    display_name=None,
                    about_current=True,
                    client_id=f"ask-0000{n}",
                )["question_id"]
            )
        proceedings.end_session(session, actor)
    login(live.organizer)
    base = f"/manage/{live.event.id}/record/audience"
    client.post(f"{base}/{asked[0]}/taken")
    client.post(f"{base}/{asked[1]}/merge", data={"into_id": str(asked[0])})
    client.post(f"{base}/{asked[2]}/remove", data={"confirmed": "1"})
    assert client.post(f"{base}/{asked[2]}/explode").status_code == 303
    _publish(client, live)
    record = app.test_client().get(f"/archive/{live.event.slug}.json").get_json()
    assert [a["text"] for a in record["questions"][0]["audience_questions"]] == ["Keep this one?"]
    from forum.models import AudienceQuestion, QuestionStatus

    db_session.expire_all()
    statuses = [db_session.get(AudienceQuestion, qid).status for qid in asked]
    assert statuses == [QuestionStatus.ANSWERED, QuestionStatus.MERGED, QuestionStatus.REJECTED]


def test_comments_on_answers_by_panelists_with_korean_short_names(
    app, client, make_live_event, db_session, login
):
    live = make_live_event()
    with app.app_context(), unit_of_work() as session:
        actor = _actor(session, live)
        person = session.get(Participant, live.people["kimmy"].id)
        person.short_name = "김미"
        proceedings.start_session(session, actor)
        capture.add_contribution(session, actor, participant_id=person.id, text="답변입니다.")
        proceedings.end_session(session, actor)
    login(live.organizer)
    _publish(client, live)
    client.post(f"/manage/{live.event.id}/record/comments", data={"enabled": "true"})
    reader = app.test_client()
    page = reader.get(f"/archive/{live.event.slug}").get_data(as_text=True)
    anchor = re.search(r'name="anchor" value="(q1-[^"]+)"', page).group(1)
    client_id = re.search(r'name="client_id" value="([^"]+)"', page).group(1)
    assert anchor == "q1-김미"
    posted = reader.post(
        f"/archive/{live.event.slug}/comments",
        data={"anchor": anchor, "text": "좋은 답변", "client_id": client_id},
        follow_redirects=True,
    )
    assert "your comment is posted" in posted.get_data(as_text=True)


def test_prompts_cannot_change_after_publishing(app, client, held, login):
    from tests.conftest import act

    login(held.organizer)
    _publish(client, held)
    from forum.extensions import socketio
    from forum.protocol import NAMESPACE

    moderator = socketio.test_client(
        app,
        namespace=NAMESPACE,
        auth={"invite": held.tokens["moderator"]},
        flask_test_client=app.test_client(),
    )
    ack = act(
        moderator, "prompt.save", {"question_id": held.questions[0].id, "text": "Rewritten afterwards."}
    )
    assert ack["error"]["code"] == "conflict"
    assert "Rewritten afterwards." not in app.test_client().get(f"/archive/{held.event.slug}").get_data(
        as_text=True
    )


def test_the_archive_files_an_event_under_the_year_at_its_venue(app, client, make_live_event):
    """Just after midnight on New Year's Day in Seoul is still the old year in UTC (and on the server):
    the archive lists, filters and offers the year its readers see on the event's page."""
    from datetime import datetime

    from forum.publishing import publishing

    live = make_live_event(starts_at_local=datetime(2025, 1, 1, 0, 30), title="New Year debate")
    with app.app_context(), unit_of_work() as session:
        publishing.publish(session, session.get(Organizer, live.organizer.id), live.event.id)
    assert "New Year debate" in client.get("/archive/?year=2025").get_data(as_text=True)
    assert "New Year debate" not in client.get("/archive/?year=2024").get_data(as_text=True)
    page = client.get("/archive/").get_data(as_text=True)
    assert ">2025</option>" in page and ">2024</option>" not in page
    assert "New Year debate" not in client.get("/archive/?year=twenty").get_data(as_text=True)


def test_an_unpublished_record_is_public_nowhere(app, client, held, login, live_client):
    """Taking a record off the archive also takes the captured transcript off the audience page, the
    projector's and anonymous sockets' snapshots and every open audience screen; a moderator cannot show it
    again until the record is published again."""
    from tests.conftest import act, received

    login(held.organizer)
    _publish(client, held)
    reader = app.test_client()
    assert "Forums for solidarity." in reader.get(f"/e/{held.event.slug}").get_data(as_text=True)
    watching = live_client({"event": held.event.slug})
    received(watching, "snapshot")

    client.post(f"/manage/{held.event.id}/record/unpublish", data={"confirmed": "1"})

    assert reader.get(f"/archive/{held.event.slug}").status_code == 404
    for path in (f"/e/{held.event.slug}", f"/e/{held.event.slug}/projector"):
        assert "Forums for solidarity." not in reader.get(path).get_data(as_text=True), path
    feed = [d for d in received(watching, "delta") if d["type"] == "feed"]
    assert feed and feed[-1]["data"] == {"enabled": False, "items": []}
    fresh = live_client({"event": held.event.slug})
    (snapshot,) = received(fresh, "snapshot")
    assert snapshot["feed"] == [] and "Forums for solidarity." not in json.dumps(snapshot)

    moderator = live_client({"invite": held.tokens["moderator"]})
    refused = act(moderator, "feed.set", {"enabled": True})
    assert refused["error"]["code"] == "record_withdrawn"
    assert "Forums for solidarity." not in json.dumps(received(fresh, "delta"))

    _publish(client, held, note="Back with a correction.")
    assert act(moderator, "feed.set", {"enabled": True})["ok"]


HOSTILE = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "![x](javascript:alert(2))",
    "<javascript:alert(3)>",
    "&#x3C;script&#x3E;alert(4)&#x3C;/script&#x3E;",
    "a | b | c",
    "# heading\n\n- list\n\n> quote\n\n```\nfence\n```",
    "1) ordered\n2. items",
    "*strong* _em_ `code` ~~gone~~ [ref]: javascript:alert(5)",
    '<a href="javascript:alert(6)">x</a>',
    "<svg onload=alert(7)>",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def _hostile(content):
    """Every piece of people's text in a record document replaced with a hostile string."""
    keep = {
        "anchor",
        "slug",
        "language",
        "timezone",
        "starts_at",
        "ends_at",
        "published_at",
        "phase",
        "delivery",
        "kind",
        "source",
        "key",
        "status",
        "website",
        "url",
        "id",
        "speaker",
        "version",
    }
    counter = [0]

    def walk(value, key=None):
        if isinstance(value, dict):
            return {k: (v if k in keep else walk(v, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            counter[0] += 1
            return HOSTILE[counter[0] % len(HOSTILE)]
        return value

    return walk(content)


def test_markdown_exports_render_every_hostile_text_inert(app, held):
    """Titles, names, hosts, venues, questions, answers, audience questions and poll labels full of markup:
    rendered by markdown-it (CommonMark with GitHub's tables, autolinks and raw HTML on, and no link
    validation, like the most permissive renderers), no element or attribute comes from people's text,
    and the poll table keeps its four columns."""
    from markdown_it import MarkdownIt

    from forum.archive import formats
    from forum.publishing.record import build_record

    with app.app_context(), unit_of_work() as session:
        content = _hostile(build_record(session, held.event.id))
        content["version"] = {
            "number": 2,
            "published_at": "2024-11-23T05:00:00.000Z",
            "correction_note": HOSTILE[0],
            "previous_versions": [],
        }
        documents = [formats.markdown_full(content)]
        documents += [formats.markdown_panelist(content, p["key"]) for p in content["panelists"]]
    renderer = MarkdownIt("gfm-like")
    renderer.validateLink = lambda url: True
    for document in documents:
        parsed = _Tags()
        parsed.feed(renderer.render(document))
        tags = {tag for tag, _attrs in parsed.tags}
        assert tags <= {
            "h1",
            "h2",
            "h3",
            "p",
            "em",
            "strong",
            "ul",
            "li",
            "a",
            "blockquote",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "br",
        }, tags
        for tag, attrs in parsed.tags:
            names = {name for name, _value in attrs}
            assert names <= {"id", "href", "style"}, (tag, attrs)
            assert all("javascript" not in (value or "") for _name, value in attrs), (tag, attrs)
            if tag == "a":
                assert names == {"id"} or dict(attrs)["href"].startswith("http"), attrs
        if document is documents[0]:
            text = "".join(parsed.text)
            bare = "".join(text.split())  # paragraphs stay paragraphs; compare without the white space
            missing = [h for h in HOSTILE if "".join(h.split()) not in bare]
            assert missing == [], "people's text reads as they wrote it"
    table_rows = [line for line in documents[0].splitlines() if line.startswith("| ")]
    assert table_rows and all(len(re.findall(r"(?<!\\)\|", row)) == 5 for row in table_rows), table_rows


def test_shared_caches_never_keep_one_readers_cookie_or_form_token(app, client, held, login):
    """A pinned version with nothing personal on it stays cacheable by anyone; the current record, which
    gives a new reader an identity cookie and a comment form with a token, is cached privately only."""
    login(held.organizer)
    _publish(client, held)
    client.post(f"/manage/{held.event.id}/record/comments", data={"enabled": "true"})
    reader = app.test_client()
    pinned = reader.get(f"/archive/{held.event.slug}/versions/1")
    assert pinned.headers["Cache-Control"] == "public, max-age=3600" and "Set-Cookie" not in pinned.headers
    current = app.test_client().get(f"/archive/{held.event.slug}")
    assert 'name="csrf_token"' in current.get_data(as_text=True) or "Set-Cookie" in current.headers
    assert "public" not in current.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("public_url", "host", "status"),
    [
        (None, "localhost", 200),
        (None, "evil.example", 400),
        ("https://forum.example.org", "forum.example.org", 200),
        ("https://forum.example.org", "evil.example", 400),
    ],
)
def test_links_are_never_built_from_a_host_the_site_does_not_serve(
    app_config, database_url, public_url, host, status
):
    """Canonical links, citations and the feed are absolute: a request naming another host is refused
    instead of being answered (and cached) with links to it."""
    from forum import create_app

    config = {**app_config, "DATABASE_URL": database_url}
    if public_url:
        config["PUBLIC_URL"] = public_url
        config["ALLOWED_ORIGINS"] = [public_url]
        config["TRUSTED_HOSTS"] = ["forum.example.org"]
    app = create_app(config)
    response = app.test_client().get("/archive/feed.atom", headers={"Host": host})
    assert response.status_code == status
    assert "evil.example" not in response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "connect-src 'self';" in csp and "ws:" not in csp
    app.extensions["forum.db"].dispose()


def test_a_versions_pdf_is_made_once_and_pdfs_are_rate_limited(app, client, held, login):
    """The first download renders and keeps the PDF; later ones read it back (shown here by replacing the
    kept file); PDF downloads count against the network's limit."""
    from pathlib import Path

    import limits

    login(held.organizer)
    _publish(client, held)
    reader = app.test_client()
    first = reader.get(f"/archive/{held.event.slug}.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    (kept,) = (Path(app.instance_path) / "pdf-cache").glob("*.pdf")
    assert kept.read_bytes() == first.data
    kept.write_bytes(b"%PDF-kept")
    assert reader.get(f"/archive/{held.event.slug}.pdf").data == b"%PDF-kept"
    app.extensions["forum.rate_limits"].items["pdf"] = limits.parse("1/minute")
    app.extensions["forum.rate_limits"].reset()
    assert reader.get(f"/archive/{held.event.slug}.pdf").status_code == 200
    refused = reader.get(f"/archive/{held.event.slug}.pdf")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_under_gevent_a_pdf_renders_in_a_worker_thread_not_on_the_event_loop(tmp_path):
    """On the gevent server (``python app.py``) rendering runs in a real worker thread, so the event loop's
    own thread is free to serve other requests between the interpreter's switches; the PDF still comes."""
    import subprocess
    import sys

    script = tmp_path / "render.py"
    script.write_text(
        "from gevent import monkey\n"
        "monkey.patch_all()\n"
        "from forum.archive.pdf import off_the_event_loop, render_pdf\n"
        "native = monkey.get_original('threading', 'get_native_id')\n"
        "loop_thread = native()\n"
        "worker_thread = off_the_event_loop(native)\n"
        "import forum.archive.pdf as pdf_module\n"
        "kept_together_on = []\n"
        "original = pdf_module.keep_words_together\n"
        "pdf_module.keep_words_together = lambda h: (kept_together_on.append(native()), original(h))[1]\n"
        "pdf = render_pdf('<html><body><p>Hello</p></body></html>', 'http://localhost/')\n"
        "assert pdf.startswith(b'%PDF'), pdf[:10]\n"
        "assert kept_together_on == [worker_thread], 'the Korean word pass ran on the loop'\n"
        "print(loop_thread != worker_thread)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True", "the render ran on the event loop's thread"


def test_without_weasyprint_a_pdf_is_a_clear_503_in_the_readers_language(
    app, client, held, login, monkeypatch
):
    import sys

    login(held.organizer)
    _publish(client, held)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a server without Pango
    reader = app.test_client()
    refused = reader.get(f"/archive/{held.event.slug}.pdf")
    assert refused.status_code == 503
    assert "PDF export is not available on this server" in refused.get_data(as_text=True)
    reader.set_cookie("forum_lang", "ko")
    assert "이 서버에서는 PDF로 내보낼 수 없습니다" in reader.get(f"/archive/{held.event.slug}.pdf").get_data(
        as_text=True
    )
