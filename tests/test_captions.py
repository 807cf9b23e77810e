"""Captions in (issue 13): the organizer's secret caption link, the contract captioning software speaks for
Zoom's third-party caption API (``POST ?seq=N&lang=``, a text body, ``GET …/seq``), its JSON form, and the
filing of every caption under the current question and whoever speaks."""

from __future__ import annotations

import html
import itertools
import json
import logging
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from forum.captions.runs import event_runs
from forum.models import Attribution, CaptionLink, CaptionSegment
from forum.protocol import NAMESPACE
from forum.serving import scrub
from tests.conftest import act, received
from tests.identities import audience_token

TEXT = "text/plain; charset=utf-8"


@pytest.fixture
def room(make_live_event, live_client, client, login):
    live = make_live_event()
    login(live.organizer)
    live.organizer_client = client
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    live.path = _issue(client, live.event.id)
    return live


def _issue(client, event_id: int) -> str:
    page = client.post(f"/manage/{event_id}/captions/link")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    found = re.search(r'<input[^>]*value="([^"]+)"[^>]*id="caption-link"', page.get_data(as_text=True))
    assert found, "the page shows the new link"
    return urlsplit(found.group(1)).path


def _post(client, path, text, seq=None, lang="ko-KR", content_type=TEXT):
    query = {k: v for k, v in (("seq", seq), ("lang", lang)) if v is not None}
    return client.post(path, query_string=query, data=text.encode("utf-8"), content_type=content_type)


def _segments(db_session) -> list[CaptionSegment]:
    db_session.rollback()
    return list(db_session.scalars(select(CaptionSegment).order_by(CaptionSegment.id)))


def test_captions_are_taken_only_while_the_session_is_live(room, client, db_session):
    before = _post(client, room.path, "Too early.", seq=1)
    assert before.status_code == 409 and before.get_json()["error"]["code"] == "not_live"
    assert act(room.moderator, "session.start")["ok"]
    assert _post(client, room.path, "Good evening.", seq=1).status_code == 200
    assert act(room.moderator, "session.end")["ok"]
    after = _post(client, room.path, "Too late.", seq=2)
    assert after.status_code == 409
    assert [s.text for s in _segments(db_session)] == ["Good evening."]


def test_seq_numbers_posts_and_a_retry_changes_nothing(room, client, db_session):
    assert act(room.moderator, "session.start")["ok"]
    assert client.get(f"{room.path}/seq").get_data(as_text=True) == "0"
    first = _post(client, room.path, "First line.", seq=1)
    assert first.get_json() == {"seq": 1, "stored": True}
    retry = _post(client, room.path, "First line.", seq=1)
    assert retry.status_code == 200 and retry.get_json() == {"seq": 1, "stored": False}
    assert _post(client, room.path, "Second line.", seq=2).get_json()["stored"]
    unnumbered = _post(client, room.path, "Third line.")
    assert unnumbered.get_json() == {"seq": 3, "stored": True}
    late = _post(client, room.path, "An old retry.", seq=2)
    assert late.get_json() == {"seq": 2, "stored": False}
    seq = client.get(f"{room.path}/seq")
    assert seq.mimetype == "text/plain" and seq.get_data(as_text=True) == "3"
    segments = _segments(db_session)
    assert [(s.seq, s.text, s.language) for s in segments] == [
        (1, "First line.", "ko-KR"),
        (2, "Second line.", "ko-KR"),
        (3, "Third line.", "ko-KR"),
    ]


@pytest.mark.parametrize(
    ("body", "query", "content_type", "status", "code"),
    [
        (b"x" * (16 * 1024 + 1), {"seq": "1"}, TEXT, 413, "too_large"),
        (b"<p>hello</p>", {"seq": "1"}, "text/html", 415, "unsupported_media_type"),
        (b"hello", {"seq": "1"}, "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"hello", {"seq": "one"}, TEXT, 400, "bad_request"),
        (b"hello", {"seq": "0"}, TEXT, 400, "bad_request"),
        (b"hello", {"seq": "99999999999999"}, TEXT, 400, "bad_request"),
        (b"hello", {"seq": "1", "lang": "ko KR; drop"}, TEXT, 400, "bad_request"),
        (b"   \n ", {"seq": "1"}, TEXT, 422, "invalid"),
        (b"\xff\xfe not utf-8", {"seq": "1"}, TEXT, 422, "invalid"),
        (b"[1, 2]", {"seq": "1"}, "application/json", 422, "invalid"),
        (b"{not json", {"seq": "1"}, "application/json", 422, "invalid"),
        (b'{"text": "hi", "start": "soon"}', {"seq": "1"}, "application/json", 422, "invalid"),
        (b'{"text": "hi", "start": 5, "end": 2}', {"seq": "1"}, "application/json", 422, "invalid"),
        (b'{"text": "hi", "final": "yes"}', {"seq": "1"}, "application/json", 422, "invalid"),
        (b'{"text": "hi", "speaker": ["a"]}', {"seq": "1"}, "application/json", 422, "invalid"),
        (b'{"text": "' + b"[" * 5000 + b'"}', {"seq": "1"}, "application/json", 422, "invalid"),
    ],
)
def test_a_bad_post_is_refused_clearly_and_stores_nothing(
    room, client, db_session, body, query, content_type, status, code
):
    assert act(room.moderator, "session.start")["ok"]
    response = client.post(room.path, query_string=query, data=body, content_type=content_type)
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert _segments(db_session) == []
    assert client.get(f"{room.path}/seq").get_data(as_text=True) == "0"  # the refused seq is free again


def test_a_wrong_or_revoked_link_is_not_found(room, client, db_session):
    assert act(room.moderator, "session.start")["ok"]
    wrong = _post(client, "/captions/not-the-token", "Hello.", seq=1)
    assert wrong.status_code == 404 and wrong.get_json()["error"]["code"] == "not_found"
    assert client.get("/captions/not-the-token/seq").status_code == 404
    replaced = room.path
    room.path = _issue(room.organizer_client, room.event.id)  # a new link revokes the one before
    assert _post(client, replaced, "Hello.", seq=1).status_code == 404
    assert _post(client, room.path, "Hello.", seq=1).status_code == 200
    revoked = room.organizer_client.post(f"/manage/{room.event.id}/captions/link/revoke")
    assert revoked.status_code == 303
    assert _post(client, room.path, "Again.", seq=2).status_code == 404
    db_session.rollback()
    links = db_session.scalars(select(CaptionLink).where(CaptionLink.event_id == room.event.id)).all()
    assert len(links) == 2 and all(link.revoked_at is not None for link in links)
    token = room.path.rsplit("/", 1)[1]
    assert all(token not in (link.token_hash or "") for link in links)  # only a hash is kept


def test_hostile_text_is_kept_as_text(room, client, db_session):
    assert act(room.moderator, "session.start")["ok"]
    hostile = "<script>alert(1)</script>\u202e\x00 and \x1b[31m red"
    assert _post(client, room.path, hostile, seq=1).status_code == 200
    (segment,) = _segments(db_session)
    assert "<script>alert(1)</script>" in segment.text  # escaped wherever it is shown, never run
    assert "\x00" not in segment.text and "\x1b" not in segment.text


def test_captions_follow_the_floor_and_the_question(room, client, db_session):
    people, questions = room.people, room.questions
    assert act(room.moderator, "session.start")["ok"]
    assert act(room.moderator, "question.goto", {"question_id": questions[0].id})["ok"]
    assert _post(client, room.path, "Before anyone has the floor.", seq=1).status_code == 200
    assert act(room.moderator, "floor.give", {"participant_id": people["kimmy"].id})["ok"]
    _post(client, room.path, "Kimmy speaks.", seq=2)
    _post(client, room.path, "Kimmy goes on.", seq=3)
    assert act(room.moderator, "floor.give", {"participant_id": people["hong"].id})["ok"]
    _post(client, room.path, "Hong answers.", seq=4)
    assert act(room.moderator, "question.goto", {"question_id": questions[1].id})["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": people["hong"].id})["ok"]
    _post(client, room.path, "Hong on the next question.", seq=5)
    # A source that knows the speaker wins over the floor; a name nobody on the panel has does not.
    named = {"text": "Kimmy interrupts.", "speaker": "  KIMMY "}
    _post(client, room.path, json.dumps(named), seq=6, content_type="application/json")
    stranger = {"text": "Someone in the hall.", "speaker": "A voice"}
    _post(client, room.path, json.dumps(stranger), seq=7, content_type="application/json")
    assert act(room.moderator, "floor.release")["ok"]
    _post(client, room.path, "Applause.", seq=8)
    q1, q2 = questions[0].id, questions[1].id
    kimmy, hong = people["kimmy"].id, people["hong"].id
    assert [
        (s.question_id, s.participant_id, s.attribution, s.speaker_label) for s in _segments(db_session)
    ] == [
        (q1, None, Attribution.NONE, None),
        (q1, kimmy, Attribution.FLOOR, None),
        (q1, kimmy, Attribution.FLOOR, None),
        (q1, hong, Attribution.FLOOR, None),
        (q2, hong, Attribution.FLOOR, None),
        (q2, kimmy, Attribution.NAMED, None),
        (q2, hong, Attribution.FLOOR, "A voice"),
        (q2, None, Attribution.NONE, None),
    ]
    runs = event_runs(db_session, room.event.id)
    assert [(r.question_id, r.participant_id, r.text) for r in runs] == [
        (q1, None, "Before anyone has the floor."),
        (q1, kimmy, "Kimmy speaks. Kimmy goes on."),
        (q1, hong, "Hong answers."),
        (q2, hong, "Hong on the next question."),
        (q2, kimmy, "Kimmy interrupts."),
        (q2, hong, "Someone in the hall."),
        (q2, None, "Applause."),
    ]
    assert all(a.start_ms <= b.start_ms for a, b in itertools.pairwise(runs))


def test_a_json_caption_with_its_own_times_is_filed_by_the_turn_then(room, client, db_session):
    """An engine that sends ``start``/``end`` (seconds from the session's start) late: the caption belongs to
    whoever held the floor at that moment, not to whoever holds it when it arrives."""
    assert act(room.moderator, "session.start")["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": room.people["kimmy"].id})["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": room.people["hong"].id})["ok"]
    db_session.rollback()
    from forum.models import LiveState, SpeakingTurn

    started = db_session.get(LiveState, room.event.id).started_at
    kimmy_turn = db_session.scalar(
        select(SpeakingTurn).where(SpeakingTurn.participant_id == room.people["kimmy"].id)
    )
    said = (kimmy_turn.started_at - started).total_seconds() + (
        kimmy_turn.ended_at - kimmy_turn.started_at
    ).total_seconds() / 2
    body = {"text": "Said during Kimmy's turn.", "start": said, "end": said + 1.5, "final": False}
    assert (
        _post(client, room.path, json.dumps(body), seq=1, content_type="application/json").status_code == 200
    )
    (segment,) = _segments(db_session)
    assert segment.participant_id == room.people["kimmy"].id and segment.attribution is Attribution.FLOOR
    assert segment.end_ms - segment.start_ms == 1500 and segment.final is False


def test_two_posts_of_one_seq_at_once_store_one_caption(room, app, db_session):
    from tests.test_audience_concurrency import at_once

    assert act(room.moderator, "session.start")["ok"]
    clients = [app.test_client() for _ in range(4)]
    responses = at_once(*[lambda c=c: _post(c, room.path, "Once.", seq=1) for c in clients])
    assert sorted(r.status_code for r in responses) == [200] * 4
    assert sorted(r.get_json()["stored"] for r in responses) == [False, False, False, True]
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(CaptionSegment)) == 1


def test_the_caption_token_never_reaches_a_log(room, client, caplog):
    caplog.set_level(logging.DEBUG)
    token = room.path.rsplit("/", 1)[1]
    _post(client, room.path, "Not live yet.", seq=1)
    assert token not in caplog.text
    line = scrub(f'127.0.0.1 - - "POST {room.path}?seq=1&lang=ko-KR HTTP/1.1" 409')
    assert token not in line and "127.0.0.1" not in line and "/captions/[token]?seq=1" in line
    assert token not in scrub(f'"GET {room.path}/seq HTTP/1.1" 200')


def test_the_organizer_page_shows_the_link_state_without_the_link(room, db_session):
    page = room.organizer_client.get(f"/manage/{room.event.id}").get_data(as_text=True)
    assert 'id="captions"' in page and room.path not in page
    assert "Revoke the caption link" in page


def test_a_link_posting_too_fast_is_told_when_to_go_on(room, app, client, db_session):
    import limits

    app.extensions["forum.rate_limits"].items["captions"] = limits.parse("2/minute")
    assert act(room.moderator, "session.start")["ok"]
    assert _post(client, room.path, "One.", seq=1).status_code == 200
    assert _post(client, room.path, "Two.", seq=2).status_code == 200
    third = _post(client, room.path, "Three.", seq=3)
    assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
    assert third.get_json()["error"]["code"] == "rate_limited"
    assert [s.seq for s in _segments(db_session)] == [1, 2]


def _caption_deltas(client, kind="caption"):
    return [d for d in received(client, "delta") if d["type"] == kind]


def test_captions_go_out_live_and_to_the_public_only_while_the_organizer_lets_them(room, client, live_client):
    assert act(room.moderator, "session.start")["ok"]
    audience = live_client({"event": room.event.slug, "audience": audience_token()})
    scribe = live_client({"invite": room.tokens["scribe"]})
    for who in (audience, scribe, room.moderator):
        who.get_received(NAMESPACE)
    assert act(room.moderator, "floor.give", {"participant_id": room.people["kimmy"].id})["ok"]
    _post(client, room.path, "<b>Public</b> words.", seq=1)
    for who in (audience, scribe):
        (delta,) = _caption_deltas(who)
        assert delta["data"]["text"] == "<b>Public</b> words."
        assert delta["data"]["participant_id"] == room.people["kimmy"].id
        assert delta["data"]["attribution"] == "floor"
    # The organizer keeps captions from the public: the audience's are cleared, the staff keep theirs.
    off = room.organizer_client.post(f"/manage/{room.event.id}/captions/public", data={"public": "false"})
    assert off.status_code == 303
    (public_switch,) = _caption_deltas(audience, "captions")
    assert public_switch["data"] == {"public": False, "projector": False, "items": []}
    (staff_switch,) = _caption_deltas(scribe, "captions")
    assert staff_switch["data"] == {"public": False, "projector": False}
    _post(client, room.path, "Staff only.", seq=2)
    assert _caption_deltas(audience) == []
    assert [d["data"]["text"] for d in _caption_deltas(scribe)] == ["Staff only."]
    late = live_client({"event": room.event.slug, "audience": audience_token()})
    (snapshot,) = received(late, "snapshot")
    assert snapshot["captions"] == [] and snapshot["captions_public"] is False
    (staff_snapshot,) = received(live_client({"invite": room.tokens["scribe"]}), "snapshot")
    assert [c["text"] for c in staff_snapshot["captions"]] == ["<b>Public</b> words.", "Staff only."]
    # Back on: the public gets the latest captions with the switch.
    room.organizer_client.post(f"/manage/{room.event.id}/captions/public", data={"public": "true"})
    (back,) = _caption_deltas(late, "captions")
    assert [c["text"] for c in back["data"]["items"]] == ["<b>Public</b> words.", "Staff only."]


def test_a_moderator_switches_the_projectors_caption_band(room, live_client):
    assert act(room.moderator, "session.start")["ok"]
    projector_viewer = live_client({"event": room.event.slug})
    projector_viewer.get_received(NAMESPACE)
    assert act(room.moderator, "captions.projector", {"on": True})["ok"]
    (delta,) = _caption_deltas(projector_viewer, "captions")
    assert delta["data"] == {"public": True, "projector": True}
    panelist = live_client({"invite": room.tokens["kimmy"]})
    refused = act(panelist, "captions.projector", {"on": False})
    assert refused["error"]["code"] == "forbidden"


def _ms(timestamp: str) -> int:
    hours, minutes, seconds = timestamp.replace(",", ".").split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


def test_the_captions_as_webvtt_and_srt(room, client, tmp_path):
    """Cues timed from the session's start, the speaker as a WebVTT voice (SRT: before the words); text that
    looks like markup or a timing line stays text. Read back by two parsers from the package registry."""
    import io

    import pysubs2
    import webvtt

    assert act(room.moderator, "session.start")["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": room.people["kimmy"].id})["ok"]
    hostile = "<b>Bold</b> & --> not a cue"
    said = ["We need an international consensus.", hostile, "Platforms answer to the law.", "Applause."]
    _post(client, room.path, said[0], seq=1)
    _post(client, room.path, said[1], seq=2)
    assert act(room.moderator, "floor.give", {"participant_id": room.people["hong"].id})["ok"]
    _post(client, room.path, said[2], seq=3)
    assert act(room.moderator, "floor.release")["ok"]
    _post(client, room.path, said[3], seq=4)
    interim = {"text": "Not final yet", "final": False}
    _post(client, room.path, json.dumps(interim), seq=5, content_type="application/json")

    vtt = room.organizer_client.get(f"/manage/{room.event.id}/captions.vtt")
    assert vtt.status_code == 200 and vtt.mimetype == "text/vtt"
    assert vtt.headers["Content-Disposition"].endswith('-captions.vtt"')
    assert vtt.headers["Cache-Control"] == "no-store"
    text = vtt.get_data(as_text=True)
    cues = list(webvtt.from_buffer(io.StringIO(text)))
    assert [c.voice for c in cues] == ["Kimmy", "Kimmy", "Hong Myeong-gyo", None]
    assert [html.unescape(c.text) for c in cues] == said  # interim captions are left out
    times = [(_ms(c.start), _ms(c.end)) for c in cues]
    assert all(start < end for start, end in times)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(times))
    assert "--> not" not in text and "<b>" not in text
    other = pysubs2.SSAFile.from_string(text, format_="vtt")
    assert [(e.start, e.end) for e in other] == times

    srt = room.organizer_client.get(f"/manage/{room.event.id}/captions.srt")
    assert srt.status_code == 200 and srt.headers["Content-Disposition"].endswith('-captions.srt"')
    path = tmp_path / "captions.srt"
    path.write_text(srt.get_data(as_text=True), encoding="utf-8")
    from_srt = list(webvtt.from_srt(str(path)))
    assert from_srt[0].text == f"Kimmy: {said[0]}"
    assert from_srt[3].text == "Applause."
    parsed = pysubs2.load(str(path), format_="srt")
    assert len(parsed) == 4 and parsed[2].plaintext == f"Hong Myeong-gyo: {said[2]}"
    assert [(e.start, e.end) for e in parsed] == times


def test_an_empty_caption_record_downloads_an_empty_file(room):
    vtt = room.organizer_client.get(f"/manage/{room.event.id}/captions.vtt")
    assert vtt.status_code == 200 and vtt.get_data(as_text=True).strip() == "WEBVTT"


def test_the_review_editor_shows_the_verbatim_runs_beside_the_record(room, client):
    assert act(room.moderator, "session.start")["ok"]
    _post(client, room.path, "Opening words.", seq=1)  # the session starts on question 1
    assert act(room.moderator, "question.goto", {"question_id": room.questions[1].id})["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": room.people["hong"].id})["ok"]
    _post(client, room.path, "<i>Hong</i> on regulation,", seq=2)
    _post(client, room.path, "continued.", seq=3)
    page = room.organizer_client.get(f"/manage/{room.event.id}/record").get_data(as_text=True)
    section = page[page.index(f'id="question-{room.questions[1].id}"') :]
    section = section[: section.index("</section>", section.index('class="verbatim"'))]
    assert (
        "with-captions"
        in page[page.rindex("<section", 0, page.index(f'id="question-{room.questions[1].id}"')) :][:200]
    )
    assert "Hong Myeong-gyo" in section and "&lt;i&gt;Hong&lt;/i&gt; on regulation, continued." in section
    first = page[page.index(f'id="question-{room.questions[0].id}"') :]
    assert "Opening words." in first[: first.index("</section>", first.index('class="verbatim"'))]


def test_the_record_links_to_the_recording_and_carries_the_verbatim_captions(room, client):
    """With a recording and its offset, every answer said in a turn links to its moment, and so does every
    caption run when the organizer publishes the captions; the JSON export stays valid against the schema."""
    import jsonschema

    from forum import PROJECT_ROOT

    organizer = room.organizer_client
    assert act(room.moderator, "session.start")["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": room.people["kimmy"].id})["ok"]
    _post(client, room.path, "We need an international consensus.", seq=1)
    said = {"participant_id": room.people["kimmy"].id, "text": "An international consensus is needed."}
    assert act(room.moderator, "contribution.add", said | {"client_id": "said-0001"})["ok"]
    assert act(room.moderator, "session.end")["ok"]
    refused = organizer.post(
        f"/manage/{room.event.id}/captions/record",
        data={"recording_url": "ftp://example.org/x", "recording_offset": "1:35"},
        follow_redirects=True,
    )
    assert "must be a full web address" in refused.get_data(as_text=True)
    saved = organizer.post(
        f"/manage/{room.event.id}/captions/record",
        data={
            "recording_url": "https://www.youtube.com/watch?v=abc123",
            "recording_offset": "1:35",
            "verbatim": "true",
        },
    )
    assert saved.status_code == 303
    assert organizer.post(f"/manage/{room.event.id}/record/publish", data={}).status_code == 303
    page = client.get(f"/archive/{room.event.slug}").get_data(as_text=True)
    assert "https://www.youtube.com/watch?v=abc123&amp;t=95s" in page  # the turn began as the session did
    assert "Watch from 1:35" in page
    assert "Live captions, word for word" in page and "We need an international consensus." in page
    document = client.get(f"/archive/{room.event.slug}.json").get_json()
    schema = json.loads((PROJECT_ROOT / "docs" / "transcript.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert document["recording"] == {"url": "https://www.youtube.com/watch?v=abc123", "offset_seconds": 95}
    (answer,) = document["questions"][0]["contributions"]
    assert 95 <= answer["at_seconds"] < 100
    (run,) = document["questions"][0]["verbatim"]
    assert run["speaker"] == "kimmy" and run["text"] == "We need an international consensus."


def test_without_the_organizers_choice_the_record_has_no_captions_and_no_links(room, client):
    assert act(room.moderator, "session.start")["ok"]
    _post(client, room.path, "Private words.", seq=1)
    assert act(room.moderator, "session.end")["ok"]
    assert room.organizer_client.post(f"/manage/{room.event.id}/record/publish", data={}).status_code == 303
    page = client.get(f"/archive/{room.event.slug}").get_data(as_text=True)
    assert "Private words." not in page and "Watch from" not in page
    document = client.get(f"/archive/{room.event.slug}.json").get_json()
    assert "recording" not in document and "verbatim" not in document["questions"][0]


@pytest.mark.parametrize(
    ("url", "seconds", "expected"),
    [
        ("https://www.youtube.com/watch?v=abc&t=10s", 754.9, "https://www.youtube.com/watch?v=abc&t=754s"),
        ("https://youtu.be/abc", 60, "https://youtu.be/abc?t=60s"),
        ("https://media.example.org/debate.mp4", 12, "https://media.example.org/debate.mp4#t=12"),
        ("https://media.example.org/debate.mp3#old", -5, "https://media.example.org/debate.mp3#t=0"),
    ],
)
def test_watch_links(url, seconds, expected):
    from forum.formatting import watch_link

    assert watch_link(url, seconds) == expected


@pytest.mark.parametrize(
    ("text", "seconds"), [("95", 95), ("1:35", 95), ("1:01:35", 3695), ("-0:30", -30), ("", 0)]
)
def test_where_the_session_starts_in_the_recording(text, seconds):
    from forum.captions.recording import parse_offset

    assert parse_offset(text) == seconds


@pytest.mark.parametrize("text", ["1:2:3:4", "abc", "25:00:01", "1.5"])
def test_a_wrong_offset_is_refused_clearly(text):
    from forum.captions.recording import parse_offset
    from forum.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        parse_offset(text)
    assert "recording_offset" in refused.value.fields


def test_a_record_published_with_its_captions_offers_them_as_subtitles(room, client, runner, tmp_path):
    import io

    import pysubs2
    import webvtt

    assert act(room.moderator, "session.start")["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": room.people["kimmy"].id})["ok"]
    _post(client, room.path, "Kimmy first.", seq=1)
    assert act(room.moderator, "floor.give", {"participant_id": room.people["hong"].id})["ok"]
    _post(client, room.path, "Then Hong & <others>.", seq=2)
    assert act(room.moderator, "session.end")["ok"]
    options = {"recording_url": "", "recording_offset": "0", "verbatim": "true"}
    assert (
        room.organizer_client.post(f"/manage/{room.event.id}/captions/record", data=options).status_code
        == 303
    )
    assert room.organizer_client.post(f"/manage/{room.event.id}/record/publish", data={}).status_code == 303
    page = client.get(f"/archive/{room.event.slug}").get_data(as_text=True)
    assert f"/archive/{room.event.slug}.vtt" in page and f"/archive/{room.event.slug}.srt" in page
    vtt = client.get(f"/archive/{room.event.slug}.vtt")
    assert vtt.status_code == 200 and vtt.mimetype == "text/vtt"
    assert "attachment" in vtt.headers["Content-Disposition"]
    cues = list(webvtt.from_buffer(io.StringIO(vtt.get_data(as_text=True))))
    assert [(c.voice, html.unescape(c.text)) for c in cues] == [
        ("Kimmy", "Kimmy first."),
        ("Hong Myeong-gyo", "Then Hong & <others>."),
    ]
    assert len(pysubs2.SSAFile.from_string(vtt.get_data(as_text=True), format_="vtt")) == 2
    document = client.get(f"/archive/{room.event.slug}.json").get_json()
    key = next(p["key"] for p in document["panelists"] if p["name"] == "Hong Myeong-gyo")
    hong = client.get(f"/archive/{room.event.slug}/panelists/{key}.srt")  # one panelist's captions only
    parsed = pysubs2.SSAFile.from_string(hong.get_data(as_text=True), format_="srt")
    assert [e.plaintext for e in parsed] == ["Hong Myeong-gyo: Then Hong & ."]  # SRT drops markup-like text
    versioned = client.get(f"/archive/{room.event.slug}/versions/1.vtt")
    assert versioned.status_code == 200 and versioned.get_data() == vtt.get_data()
    # The static archive carries them too.
    out = tmp_path / "site"
    exported = runner.invoke(
        args=["forum", "export-site", str(out), "--base-url", "https://archive.example.org"]
    )
    assert exported.exit_code == 0, exported.output
    assert (out / "archive" / f"{room.event.slug}.vtt").read_bytes() == vtt.get_data()
    assert (out / "archive" / room.event.slug / "panelists" / f"{key}.srt").exists()


def test_a_record_published_without_captions_has_no_subtitles(room, client):
    assert act(room.moderator, "session.start")["ok"]
    _post(client, room.path, "Kept private.", seq=1)
    assert act(room.moderator, "session.end")["ok"]
    assert room.organizer_client.post(f"/manage/{room.event.id}/record/publish", data={}).status_code == 303
    assert client.get(f"/archive/{room.event.slug}.vtt").status_code == 404
    assert client.get(f"/archive/{room.event.slug}.srt").status_code == 404
    assert f"{room.event.slug}.vtt" not in client.get(f"/archive/{room.event.slug}").get_data(as_text=True)
