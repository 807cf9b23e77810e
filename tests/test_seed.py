"""The demo panel in seeds/: loaded idempotently, true to the reference's facts, in our own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum import PROJECT_ROOT
from forum.models import AgendaQuestion, Contribution, Event, EventStatus, Participant, ParticipantRole
from forum.services.fields import wording_key

REFERENCE = PROJECT_ROOT.parent / "shared" / "reference" / "open-net-telegram-panel-summary.txt"
SEED = PROJECT_ROOT / "seeds" / "open_net_telegram_panel.toml"


def _counts(db_session):
    db_session.expire_all()
    return tuple(
        db_session.scalar(select(func.count()).select_from(model))
        for model in (Event, Participant, AgendaQuestion, Contribution)
    )


def test_seed_loads_the_demo_panel(runner, db_session):
    result = runner.invoke(args=["forum", "seed"])
    assert result.exit_code == 0, result.output
    assert "Loaded the demo event" in result.output
    event = db_session.scalar(select(Event))
    assert event.title == "Is it okay to use Telegram as it is?"
    assert event.host.name == "People Outraged by the Nth Room Incident"
    assert event.status == EventStatus.PUBLISHED, "the demo record is published at once"
    assert event.starts_at.astimezone().date().isoformat() in {"2024-11-23", "2024-11-22"}
    people = db_session.scalars(select(Participant).order_by(Participant.role, Participant.position)).all()
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
    questions = db_session.scalars(select(AgendaQuestion).order_by(AgendaQuestion.position)).all()
    assert len(questions) == 7
    assert len({wording_key(q.text) for q in questions}) == 7, "question 7 is corrected, not a repeat of 6"
    assert "boycott" in questions[6].text.lower()
    answers = db_session.scalars(select(Contribution).where(Contribution.participant_id == kimmy.id)).all()
    assert sorted(a.question_id for a in answers) == [q.id for q in questions]


def test_seed_is_idempotent(runner, db_session):
    runner.invoke(args=["forum", "seed"])
    first = _counts(db_session)
    result = runner.invoke(args=["forum", "seed"])
    assert result.exit_code == 0
    assert "already loaded" in result.output
    assert _counts(db_session) == first
    result = runner.invoke(args=["forum", "seed", "--if-empty"])
    assert "not loaded" in result.output
    assert _counts(db_session) == first


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
    assert _counts(db_session) == (0, 0, 0, 0)
    garbage = tmp_path / "garbage.toml"
    garbage.write_text("this is = = not toml")
    result = runner.invoke(args=["forum", "seed", "--file", str(garbage)])
    assert result.exit_code != 0 and "cannot be read" in result.output


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
