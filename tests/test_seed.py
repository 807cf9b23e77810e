"""The demo panel in seeds/: loaded idempotently, true to the reference's facts, in our own words."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from forum import PROJECT_ROOT
from forum.db import utcnow
from forum.fields import wording_key
from forum.models import (
    AgendaQuestion,
    Contribution,
    Event,
    EventStatus,
    Invitation,
    Participant,
    ParticipantRole,
)

REFERENCE = PROJECT_ROOT.parent / "shared" / "reference" / "open-net-telegram-panel-summary.txt"
SEED = PROJECT_ROOT / "seeds" / "open_net_telegram_panel.toml"
DEMO_SLUG = "is-it-okay-to-use-telegram-as-it-is"
REHEARSAL_SLUG = "rehearsal-is-it-okay-to-use-telegram-as-it-is"


def _counts(db_session):
    db_session.expire_all()
    return tuple(
        db_session.scalar(select(func.count()).select_from(model))
        for model in (Event, Participant, AgendaQuestion, Contribution, Invitation)
    )


def test_seed_loads_the_demo_panel(runner, db_session):
    result = runner.invoke(args=["forum", "seed"])
    assert result.exit_code == 0, result.output
    assert "Loaded the demo event" in result.output
    event = db_session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    assert event.title == "Is it okay to use Telegram as it is?"
    assert event.host.name == "People Outraged by the Nth Room Incident"
    assert event.status == EventStatus.PUBLISHED, "the demo record is published at once"
    assert event.starts_at.astimezone().date().isoformat() in {"2024-11-23", "2024-11-22"}
    people = db_session.scalars(
        select(Participant)
        .where(Participant.event_id == event.id)
        .order_by(Participant.role, Participant.position)
    ).all()
    moderators = [p.display_name for p in people if p.role == ParticipantRole.MODERATOR]
    panelists = [(p.display_name, p.affiliation) for p in people if p.role == ParticipantRole.PANELIST]
    assert moderators == ["Jun-jjang"]
    assert panelists == [
        ("Kwon Kim Hyun-young", "Women's Reality Research Institute"),
        ("Hong Myeong-gyo", "Platform C"),
        ("Oh Byeong-il", "Korean Progressive Network Jinbonet"),
        ("Oh Kyoungmi", "Open Net Korea"),
    ]
    kimmy = next(p for p in people if p.short_name == "Kimmy")
    questions = db_session.scalars(
        select(AgendaQuestion).where(AgendaQuestion.event_id == event.id).order_by(AgendaQuestion.position)
    ).all()
    assert len(questions) == 7
    assert len({wording_key(q.text) for q in questions}) == 7, "question 7 is corrected, not a repeat of 6"
    assert "boycott" in questions[6].text.lower()
    answers = db_session.scalars(select(Contribution).where(Contribution.participant_id == kimmy.id)).all()
    assert sorted(a.question_id for a in answers) == [q.id for q in questions]


def test_seed_is_idempotent(runner, db_session):
    runner.invoke(args=["forum", "seed"])
    first = _counts(db_session)
    assert first[0] == 2, "the demo and its rehearsal"
    result = runner.invoke(args=["forum", "seed"])
    assert result.exit_code == 0
    assert "already loaded" in result.output
    assert _counts(db_session) == first
    result = runner.invoke(args=["forum", "seed", "--if-empty"])
    assert "not loaded" in result.output
    assert _counts(db_session) == first
    # Restarting `make run` shows the rehearsal's links again, but cannot show (or replace) invitation links.
    assert f"/e/{REHEARSAL_SLUG}/projector" in result.output
    assert "/invite/" not in result.output


def test_demo_organizer_can_sign_in_with_the_printed_password(runner, client):
    output = runner.invoke(args=["forum", "seed"]).output
    password = re.search(r"with password (\S+)", output).group(1)
    response = client.post("/auth/signin", data={"email": "demo@example.org", "password": password})
    assert response.status_code == 302
    assert "Is it okay to use Telegram as it is?" in client.get("/manage/").get_data(as_text=True)


def test_broken_seed_file_is_reported_not_half_loaded(runner, db_session, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[event]\ntitle = "x"\nslug = "x"\n[host]\nname = "h"\n[organizer]\nemail = "a@b.org"\n'
        'display_name = "A"\n'
    )
    result = runner.invoke(args=["forum", "seed", "--file", str(bad)])
    assert result.exit_code != 0
    assert "lacks the 'starts_at' entry of its [event] section" in result.output
    assert _counts(db_session) == (0, 0, 0, 0, 0)
    garbage = tmp_path / "garbage.toml"
    garbage.write_text("this is = = not toml")
    result = runner.invoke(args=["forum", "seed", "--file", str(garbage)])
    assert result.exit_code != 0 and "cannot be read" in result.output


def _paths(output: str) -> list[str]:
    """Every link printed by ``seed``, as a path the test client can request."""
    return [urlsplit(url).path for url in re.findall(r"https?://\S+", output)]


def _local_date_in_seoul(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo("Asia/Seoul")).date()


def _panel(db_session, event_id: int) -> tuple[list[tuple], list[str]]:
    people = db_session.scalars(
        select(Participant)
        .where(Participant.event_id == event_id)
        .order_by(Participant.role, Participant.position)
    )
    questions = db_session.scalars(
        select(AgendaQuestion.text)
        .where(AgendaQuestion.event_id == event_id)
        .order_by(AgendaQuestion.position)
    )
    return [(p.role, p.display_name, p.short_name, p.affiliation) for p in people], list(questions)


def test_seed_also_schedules_a_rehearsal_of_the_same_panel(runner, db_session, client):
    before = _local_date_in_seoul(utcnow())
    result = runner.invoke(args=["forum", "seed", "--if-empty"])
    after = _local_date_in_seoul(utcnow())
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    demo = db_session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    rehearsal = db_session.scalar(select(Event).where(Event.slug == REHEARSAL_SLUG))
    assert demo.status == EventStatus.PUBLISHED
    assert rehearsal.status == EventStatus.SCHEDULED, "a scheduled event's live room can start"
    assert rehearsal.title.startswith("Rehearsal") and demo.title in rehearsal.title
    assert rehearsal.organizer_id == demo.organizer_id and rehearsal.host_id == demo.host_id
    assert rehearsal.join_code != demo.join_code
    people, questions = _panel(db_session, rehearsal.id)
    assert (people, questions) == _panel(db_session, demo.id)
    assert len(people) == 5 and len(questions) == 7
    starts = rehearsal.starts_at.astimezone(ZoneInfo(rehearsal.timezone))
    assert starts.date() in {before + timedelta(days=1), after + timedelta(days=1)}, "tomorrow at the venue"
    assert client.get(f"/archive/{REHEARSAL_SLUG}").status_code == 404, "a rehearsal is not a record"


def test_rehearsal_room_starts_from_the_printed_moderator_link(runner, app, db_session):
    output = runner.invoke(args=["forum", "seed", "--if-empty"]).output
    console = re.search(r"Moderator console for Jun-jjang, no sign-in needed: (\S+)", output).group(1)
    path = urlsplit(console).path
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    response = anonymous.post(f"{path}/session.start")
    assert response.status_code == 303
    assert "The session is live." in anonymous.get(response.headers["Location"]).get_data(as_text=True)
    db_session.expire_all()
    rehearsal = db_session.scalar(select(Event).where(Event.slug == REHEARSAL_SLUG))
    assert rehearsal.status == EventStatus.LIVE
    first_question = db_session.scalar(
        select(AgendaQuestion.text)
        .where(AgendaQuestion.event_id == rehearsal.id)
        .order_by(AgendaQuestion.position)
    )
    audience = anonymous.get(f"/e/{REHEARSAL_SLUG}").get_data(as_text=True)
    current = re.search(r'<section class="current-question.*?</section>', audience, re.S).group(0)
    assert "Question 1 of 7" in current and first_question in current
    home = anonymous.get("/").get_data(as_text=True)
    live_now = re.search(r'id="live-now".*?</section>', home, re.S).group(0)
    assert rehearsal.title in live_now and rehearsal.join_code in live_now


def test_every_printed_link_works(runner, app):
    output = runner.invoke(args=["forum", "seed", "--if-empty"]).output
    paths = _paths(output)
    urls = re.findall(r"https?://\S+", output)
    assert all(url.startswith(f"http://127.0.0.1:{app.config['PORT']}/") for url in urls)
    assert not any(url.endswith((".", ",", ")")) for url in urls), "links end where a terminal would cut them"
    kinds = {re.sub(r"/invite/[^/]+/", "/invite/TOKEN/", re.sub(r"/\d+/", "/ID/", p)) for p in paths}
    assert kinds >= {
        f"/archive/{DEMO_SLUG}",
        "/invite/TOKEN/live",
        "/manage/ID/live",
        f"/e/{REHEARSAL_SLUG}",
        f"/e/{REHEARSAL_SLUG}/projector",
    }
    assert sum(p.startswith("/invite/") for p in paths) == 2, "the moderator's and one panelist's links"
    password = re.search(r"with password (\S+)", output).group(1)
    organizer = app.test_client()
    organizer.post("/auth/signin", data={"email": "demo@example.org", "password": password})
    for path in paths:
        anonymous = app.test_client()
        response = anonymous.get(path)
        if path.startswith("/manage/"):
            assert response.status_code == 302 and "/auth/signin" in response.headers["Location"]
            assert organizer.get(path).status_code == 200, path
        elif path.startswith("/j/"):
            assert response.headers["Location"].endswith(f"/e/{REHEARSAL_SLUG}")
        else:
            assert response.status_code == 200, path


def test_links_use_the_configured_public_address(app_config, database_url):
    from forum import create_app

    app = create_app({**app_config, "DATABASE_URL": database_url, "PUBLIC_URL": "https://forum.example.org"})
    try:
        output = app.test_cli_runner().invoke(args=["forum", "seed"]).output
    finally:
        app.extensions["forum.db"].dispose()
    urls = re.findall(r"https?://\S+", output)
    assert urls and all(url.startswith("https://forum.example.org/") for url in urls)


def test_seed_adds_the_rehearsal_to_a_demo_loaded_before_it_existed(runner, db_session, tmp_path):
    text = SEED.read_text(encoding="utf-8")
    older = tmp_path / "older.toml"
    older.write_text(text[: text.index("[rehearsal]")] + text[text.index("[organizer]") :], encoding="utf-8")
    first = runner.invoke(args=["forum", "seed", "--file", str(older)])
    assert first.exit_code == 0, first.output
    assert _counts(db_session)[0] == 1
    output = runner.invoke(args=["forum", "seed"]).output
    assert "The demo event" in output and "already loaded" in output
    assert "Created the rehearsal event" in output and "/invite/" in output
    assert "with password" not in output, "the organizer existed; no new password is made up"
    assert _counts(db_session)[0] == 2


def _reference_text() -> str:
    if not REFERENCE.exists():
        pytest.skip("the reference summary is not beside the project")
    return REFERENCE.read_text(encoding="utf-8")


def test_demo_questions_match_the_reference_facts():
    import tomllib

    reference = _reference_text()
    numbered = dict(re.findall(r"^(\d)\. (.+\?)\s*$", reference, flags=re.MULTILINE))
    seed = tomllib.loads(SEED.read_text(encoding="utf-8"))
    demo_questions = [q["text"] for q in seed["questions"]]
    for n in range(1, 7):
        assert demo_questions[n - 1] == numbered[str(n)].strip()
    assert wording_key(numbered["7"]) == wording_key(numbered["6"]), "the reference repeats question 6"
    assert wording_key(demo_questions[6]) != wording_key(demo_questions[5])


def test_demo_prose_is_not_pasted_from_the_reference():
    reference = _reference_text()
    seed_text = " ".join(Path(SEED).read_text(encoding="utf-8").split())
    questions = set(re.findall(r"^\d\. (.+)$", reference, flags=re.MULTILINE))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", reference) if len(s.split()) >= 8]
    copied = [s for s in sentences if s not in questions and " ".join(s.split()) in seed_text]
    assert copied == []
    # No run of twelve words in a row is shared either.
    words = re.findall(r"\w+", reference.lower())
    seed_words = " ".join(re.findall(r"\w+", seed_text.lower()))
    question_words = " ".join(re.findall(r"\w+", " ".join(questions).lower()))
    shared = {
        " ".join(words[i : i + 12])
        for i in range(len(words) - 11)
        if " ".join(words[i : i + 12]) in seed_words and " ".join(words[i : i + 12]) not in question_words
    }
    assert shared == set()
