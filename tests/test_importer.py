"""Importing existing records as drafts: the panel-summary layout and speaker-labelled transcripts."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from forum import PROJECT_ROOT
from forum.events.importer import parse_summary
from forum.models import AgendaQuestion, Contribution, ContributionSource, Event, EventStatus, Participant
from tests.conftest import DEFAULT_PASSWORD

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
REFERENCE = PROJECT_ROOT.parent / "shared" / "reference" / "open-net-telegram-panel-summary.txt"


# The published-summary layout with all its quirks (an ordinal date without a year, curly apostrophes, a
# closing quote after the host's full stop, a repeated last question, "12 Comments" after the end): our
# own fixture always, and the reference summary too when it sits beside the project.
LAYOUTS = {
    "own": SimpleNamespace(
        path=FIXTURES / "summary_full_layout.txt",
        short="sunny",
        person=("Park Seo-yeon", "Civic Data Institute"),
        moderator="Min-ho",
        last_answer="Pausing a system is not the same as abandoning it",
    ),
    "reference": SimpleNamespace(
        path=REFERENCE,
        short="kimmy",
        person=("Oh Kyoungmi", "Open Net Korea"),
        moderator="Jun-jjang",
        last_answer="Boycotting Telegram could be a viable strategy",
    ),
}


@pytest.fixture(params=sorted(LAYOUTS))
def layout(request):
    chosen = LAYOUTS[request.param]
    if not chosen.path.exists():
        pytest.skip("the reference summary is not beside the project")
    return chosen


def _agenda(db_session, event_id):
    return db_session.scalars(
        select(AgendaQuestion.text)
        .where(AgendaQuestion.event_id == event_id)
        .order_by(AgendaQuestion.position)
    ).all()


def _said(db_session, event_id):
    rows = db_session.execute(
        select(AgendaQuestion.position, Participant.display_name, Contribution.kind, Contribution.text)
        .join(AgendaQuestion, AgendaQuestion.id == Contribution.question_id)
        .outerjoin(Participant, Participant.id == Contribution.participant_id)
        .where(Contribution.event_id == event_id)
        .order_by(Contribution.position)
    ).all()
    return [(p, n, k.value, t) for p, n, k, t in rows]


def test_import_a_panel_summary(runner, make_organizer, db_session):
    make_organizer()
    result = runner.invoke(
        args=["forum", "import", str(FIXTURES / "summary_layout.txt"), "--timezone", "Asia/Seoul"]
    )
    assert result.exit_code == 0, result.output
    assert "(summary layout): 3 question(s), 3 contribution(s), 3 people" in result.output
    event = db_session.scalar(select(Event))
    assert (event.title, event.host.name, event.status) == (
        "Who moderates the moderators?",
        "Seoul Digital Rights Forum",
        EventStatus.DRAFT,
    )
    assert event.starts_at == datetime(2025, 3, 5, 3, 0, tzinfo=UTC)
    assert (
        event.host.about == "A volunteer network that organises public talks about privacy and online speech."
    )
    people = {
        p.display_name: (p.role.value, p.affiliation, p.short_name)
        for p in db_session.scalars(select(Participant))
    }
    assert people == {
        "Lee Dana": ("moderator", None, "Lee Dana"),
        "Park Minji": ("panelist", "Open Data Lab", "Mina"),
        "Choi Jun": ("panelist", "Civic Tech Korea", "Choi Jun"),
    }
    assert _agenda(db_session, event.id)[1] == "플랫폼 규제는 누가 맡아야 하나요?"
    said = _said(db_session, event.id)
    assert [(p, n) for p, n, _, _ in said] == [(1, "Park Minji"), (2, "Park Minji"), (3, "Park Minji")]
    assert said[0][3].endswith("check whether enforcement matches them.")
    assert "\n\n" in said[0][3], "paragraphs are kept"
    assert all(c.source == ContributionSource.IMPORTED for c in db_session.scalars(select(Contribution)))


def test_import_a_captioned_transcript(runner, make_organizer, db_session):
    make_organizer()
    result = runner.invoke(
        args=[
            "forum",
            "import",
            str(FIXTURES / "captioned_transcript.txt"),
            "--date",
            "2025-03-05T19:00",
            "--title",
            "Moderation night",
            "--host",
            "SDRF",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "speakers layout" in result.output and "Unidentified speaker" in result.output
    event = db_session.scalar(select(Event))
    assert event.title == "Moderation night"
    assert _agenda(db_session, event.id) == [
        "Opening remarks",
        "Should platforms publish their moderation rules?",
        "Can automated filters be trusted?",
    ]
    said = _said(db_session, event.id)
    assert said[0] == (
        1,
        "Lee Dana",
        "follow_up",
        "Good evening and welcome. Tonight we ask who should decide what stays online. "
        "Let me introduce our panel.",
    )
    assert (
        2,
        "Park Minji",
        "answer",
        "Yes. Rules nobody can read cannot be contested. And transparency reports should come with them.",
    ) in said
    assert (2, "Lee Dana", "follow_up", "Let me push back a little on that.") in said
    assert said[-2][:3] == (3, "Choi Jun", "answer")
    assert said[-1][1] == "Unidentified speaker"
    prompts = [s for s in said if s[2] == "moderator_prompt"]
    assert [p[0] for p in prompts] == [2, 3]


def test_moderator_can_be_named(runner, make_organizer, db_session):
    make_organizer()
    result = runner.invoke(
        args=["forum", "import", str(FIXTURES / "captioned_transcript.txt"), "--moderator", "Nobody"]
    )
    assert result.exit_code != 0 and "never speaks" in result.output
    assert db_session.scalar(select(Event)) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "No speaker-labelled lines"),
        ("just some prose without structure", "No speaker-labelled lines"),
        ("1. A question?\nAn answer.\n", "does not say whose answers"),
    ],
)
def test_unreadable_files_are_refused_cleanly(runner, make_organizer, db_session, tmp_path, content, message):
    make_organizer()
    path = tmp_path / "input.txt"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["forum", "import", str(path)])
    assert result.exit_code != 0 and message in result.output
    assert db_session.scalar(select(Event)) is None


def test_import_needs_a_known_owner(runner, make_organizer, tmp_path):
    path = FIXTURES / "summary_layout.txt"
    assert "Say which organizer" in runner.invoke(args=["forum", "import", str(path)]).output
    make_organizer()
    make_organizer()
    assert "Say which organizer" in runner.invoke(args=["forum", "import", str(path)]).output
    assert (
        "No organizer has"
        in runner.invoke(args=["forum", "import", str(path), "--organizer", "x@y.org"]).output
    )
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert "is not UTF-8 text" in runner.invoke(args=["forum", "import", str(binary)]).output


def test_a_published_summary_imports_and_exports_with_the_same_structure(
    app, runner, make_organizer, client, db_session, layout
):
    organizer = make_organizer()
    source = layout.path.read_text(encoding="utf-8")
    result = runner.invoke(
        args=["forum", "import", str(layout.path), "--date", "2024-11-23", "--timezone", "Asia/Seoul"]
    )
    assert result.exit_code == 0, result.output
    event = db_session.scalar(select(Event))
    original = parse_summary(source)
    assert _agenda(db_session, event.id) == original.questions and len(original.questions) == 7
    person = db_session.scalar(select(Participant).where(Participant.short_name == layout.short.title()))
    assert (person.display_name, person.affiliation) == layout.person
    said = _said(db_session, event.id)
    assert [p for p, *_ in said] == [1, 2, 3, 4, 5, 6, 7]
    assert said[6][3].startswith(layout.last_answer)

    client.post("/auth/signin", data={"email": organizer.email, "password": DEFAULT_PASSWORD})
    overview = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert "Same wording as question 6." in overview, "the repeated question 7 is flagged"
    client.post(f"/manage/{event.id}/record/publish")
    exported = (
        app.test_client().get(f"/archive/{event.slug}/panelists/{layout.short}.txt").get_data(as_text=True)
    )
    again = parse_summary(exported)
    assert again.questions == original.questions
    assert [t for *_, t in again.said] == [t for *_, t in original.said]
    assert again.moderators[0].name == layout.moderator and [p.name for p in again.panelists] == [
        p.name for p in original.panelists
    ]


def test_a_korean_events_export_imports_back_with_the_same_structure(
    app, runner, make_organizer, client, db_session, layout
):
    """A Korean event's per-panelist .txt uses Korean fixed phrases ("- 사회:", "…의 주요 질문별 답변은",
    "(서면 답변)"); the importer reads them from the same catalogue and gets the structure back."""
    organizer = make_organizer()
    original = parse_summary(layout.path.read_text(encoding="utf-8"))
    result = runner.invoke(
        args=["forum", "import", str(layout.path), "--date", "2024-11-23", "--timezone", "Asia/Seoul"]
    )
    assert result.exit_code == 0, result.output
    event = db_session.scalar(select(Event))
    event.language = "ko"
    db_session.commit()
    client.post("/auth/signin", data={"email": organizer.email, "password": DEFAULT_PASSWORD})
    client.post(f"/manage/{event.id}/record/publish")
    english_reader = app.test_client()
    exported = english_reader.get(
        f"/archive/{event.slug}/panelists/{layout.short}.txt", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "- 사회: " in exported and f"{layout.short.title()}의 주요 질문별 답변은" in exported
    assert "2024년 11월 23일" in exported and "Here are" not in exported
    with app.test_request_context():
        again = parse_summary(exported)
    assert again.questions == original.questions
    assert [t for *_, t in again.said] == [t for *_, t in original.said]
    assert again.moderators[0].name == layout.moderator
    assert [p.name for p in again.panelists] == [p.name for p in original.panelists]
    assert again.host == original.host and again.about_host == original.about_host
    assert again.title == event.title and str(again.when) == "2024-11-23"
    assert again.delivery == original.delivery


def test_an_imported_answer_keeps_the_length_limit_of_every_other_way_in(
    runner, make_organizer, tmp_path, db_session
):
    """A transcript with one 25,000-character answer is refused as a whole, naming the answer, and stores
    nothing (the limit elsewhere is 20,000 characters)."""
    from forum.limits import CONTRIBUTION_MAX

    make_organizer()
    transcript = tmp_path / "long.txt"
    transcript.write_text(
        f"Lee Dana: Welcome.\nKim Ara: {'word ' * ((CONTRIBUTION_MAX // 5) + 1000)}\n", encoding="utf-8"
    )
    result = runner.invoke(
        args=["forum", "import", str(transcript), "--date", "2025-03-05T19:00", "--title", "Long"]
    )
    assert result.exit_code != 0
    assert "Answer 2 is too long" in result.output and "Traceback" not in result.output
    assert db_session.scalar(select(Event)) is None
