"""``flask --app app forum captions-replay FILE URL`` (issue 13): a WebVTT, SRT or plain-text file replayed
into a caption link on a running server, in real time or faster, continuing the link's numbering."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from forum.boundary import unit_of_work
from forum.captions import links
from forum.captions.replay import ReplayCue, read_cues, replay
from forum.models import Attribution, CaptionSegment, Organizer
from tests.conftest import act

VTT = """WEBVTT

00:01:00.000 --> 00:01:02.000
<v Kimmy>We need an international consensus.</v>

00:01:02.500 --> 00:01:04.000
<v Hong Myeong-gyo>Platforms answer to the law.</v>

00:01:05.000 --> 00:01:06.000
Applause.
"""

SRT = """1
00:00:00,000 --> 00:00:01,000
First line,
second line.

2
00:00:01,500 --> 00:00:02,000
Next.
"""


def test_caption_files_are_read_with_their_times_and_voices(tmp_path):
    vtt, srt, text = tmp_path / "a.vtt", tmp_path / "b.srt", tmp_path / "c.txt"
    vtt.write_text(VTT, encoding="utf-8")
    srt.write_text(SRT, encoding="utf-8")
    text.write_text("One.\n\n  Two.  \nThree.\n", encoding="utf-8")
    assert read_cues(vtt) == [
        ReplayCue(0.0, "We need an international consensus.", "Kimmy"),
        ReplayCue(2.5, "Platforms answer to the law.", "Hong Myeong-gyo"),
        ReplayCue(5.0, "Applause.", None),
    ]
    assert read_cues(srt) == [ReplayCue(0.0, "First line, second line."), ReplayCue(1.5, "Next.")]
    assert [(c.at, c.text) for c in read_cues(text)] == [(0.0, "One."), (2.5, "Two."), (5.0, "Three.")]


@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_replayed_into_a_running_server(
    app, server, runner, tmp_path, make_live_event, live_client, db_session
):
    live = make_live_event()
    with app.app_context(), unit_of_work() as session:
        _link, token = links.issue_link(session, session.get(Organizer, live.organizer.id), live.event.id)
    moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(moderator, "session.start")["ok"]
    assert act(moderator, "floor.give", {"participant_id": live.people["hong"].id})["ok"]
    link = f"{server.url}/captions/{token}"
    file = tmp_path / "rehearsal.vtt"
    file.write_text(VTT, encoding="utf-8")
    started = time.monotonic()
    result = runner.invoke(
        args=["forum", "captions-replay", str(file), link, "--speed", "10", "--lang", "en-US"]
    )
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "3 captions sent." in result.output
    assert took >= 0.45, "at ten times the speed, five seconds of cues take half a second"
    # Again: the numbering continues after the link's last seq, so nothing is taken for a retry.
    assert runner.invoke(args=["forum", "captions-replay", str(file), link, "--speed", "100"]).exit_code == 0
    db_session.rollback()
    segments = db_session.scalars(select(CaptionSegment).order_by(CaptionSegment.seq)).all()
    assert [s.seq for s in segments] == [1, 2, 3, 4, 5, 6]
    kimmy, hong = live.people["kimmy"].id, live.people["hong"].id
    assert [(s.participant_id, s.attribution) for s in segments[:3]] == [
        (kimmy, Attribution.NAMED),
        (hong, Attribution.NAMED),
        (hong, Attribution.FLOOR),
    ]
    assert segments[0].language == "en-US"


@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_replay_into_a_wrong_link_says_why(server, runner, tmp_path):
    file = tmp_path / "lines.txt"
    file.write_text("Hello.\n", encoding="utf-8")
    result = runner.invoke(args=["forum", "captions-replay", str(file), f"{server.url}/captions/nope"])
    assert result.exit_code != 0
    assert "404" in result.output and "caption link does not exist" in result.output


def test_replay_waits_for_each_cue_at_its_speed(monkeypatch):
    from forum.captions import replay as module

    posted, waited, now = [], [], [0.0]
    monkeypatch.setattr(module, "_request", lambda url, data=None, kind=None: posted.append(url) or "7")

    def sleep(seconds):
        waited.append(round(seconds, 3))
        now[0] += seconds

    cues = [ReplayCue(0.0, "a"), ReplayCue(4.0, "b"), ReplayCue(6.0, "c")]
    sent = list(
        replay(cues, "http://127.0.0.1:9/captions/x?ignored=1", speed=2, sleep=sleep, clock=lambda: now[0])
    )
    assert [seq for seq, _ in sent] == [8, 9, 10]
    assert waited == [2.0, 1.0]
    assert posted[0] == "http://127.0.0.1:9/captions/x/seq"
    assert posted[1:] == [f"http://127.0.0.1:9/captions/x?seq={n}" for n in (8, 9, 10)]
