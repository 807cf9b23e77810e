"""Import an existing record as a draft event for review.

Two layouts are understood:

* a **panel summary** — an opening sentence naming the discussion (“title”) and its host (“host”), lines
  "- Moderation: …" and "- Panelist: Name (Affiliation), …", "Here are <name>'s answers …", numbered
  questions each followed by answer paragraphs, and "*About the host: …" at the end. An answer whose
  first paragraph opens with "(written answer)" or "(said in the session)" — as this platform's own
  export marks them — keeps that distinction: it is stored as a prepared or a live contribution. The same
  layout in every language the interface speaks is understood too (this platform's Korean exports), by
  reading the fixed phrases from the translation catalogues the exports are written with;
* a **speaker-labelled transcript**, as captioned conference transcripts are written: lines such as
  ``>> NAME: text`` or ``Name: text``, where a line without a label continues the previous speaker.
  The moderator's remarks that ask something become the agenda questions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy.orm import Session

from forum import i18n
from forum.errors import InvalidInput
from forum.events import agenda, events, panel
from forum.events.contributions import add_revision
from forum.fields import clean_text
from forum.limits import CONTRIBUTION_MAX
from forum.models import Contribution, ContributionKind, ContributionSource, Event, Organizer, ParticipantRole
from forum.publishing.record import DELIVERY, DELIVERY_LABELS

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"")
_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(.+?)\s*$")
_PANEL_LINE = re.compile(r"^\s*[-*•]\s*(moderation|moderators?|panelists?)\s*:\s*(.+)$", re.IGNORECASE)
_ANSWERS_OF = re.compile(r"^\s*here\s+are\s+(.+?)[’']s\s+answers\b", re.IGNORECASE)
_ABOUT = re.compile(r"^\s*\*?\s*about the host\s*:\s*(.*)$", re.IGNORECASE)
_RESIDUE = re.compile(r"^\s*\d+\s+comments?\b", re.IGNORECASE)
_SPEAKER = re.compile(r"^\s*(?:>>\s*)?([^\W\d][\w .'’\-()]{0,48}?)\s*:\s+(.*)$")
_CAPTION_TURN = re.compile(r"^\s*>>\s*(.*)$")
# The marks of forum/archive/formats.py's plain text: "(written answer) First paragraph …".
_MARKED = {label.casefold(): code for code, label in DELIVERY_LABELS.items()}
_SOURCE_OF = {code: source for source, code in DELIVERY.items()}


@dataclass
class Person:
    name: str
    affiliation: str | None = None
    short_name: str | None = None


@dataclass
class ParsedRecord:
    """What an import found, before anything is stored."""

    layout: str
    title: str | None = None
    host: str | None = None
    when: date | None = None
    about_host: str | None = None
    moderators: list[Person] = field(default_factory=list)
    panelists: list[Person] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    # (question index, speaker name, kind, text) in order
    said: list[tuple[int, str, str, str]] = field(default_factory=list)
    # index in `said` -> "said" or "written", where the source marked how the answer was given
    delivery: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _split_people(value: str) -> list[Person]:
    people, depth, current = [], 0, ""
    for char in value:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            people.append(current)
            current = ""
        else:
            current += char
    people.append(current)
    parsed = []
    for item in (p.strip() for p in people):
        if not item:
            continue
        match = re.match(r"^(.+?)\s*\((.+)\)\s*$", item)
        parsed.append(Person(match.group(1).strip(), match.group(2).strip()) if match else Person(item))
    return parsed


@dataclass
class _Phrases:
    """The summary layout's fixed phrases in one language, as patterns (from the exports' own messages)."""

    intro: re.Pattern[str]
    moderation: re.Pattern[str]
    panelists: re.Pattern[str]
    answers_of: re.Pattern[str]
    about: re.Pattern[str]
    marks: dict[str, str]  # shown delivery label (casefolded) -> "said" / "written"


def _pattern(message: str) -> re.Pattern[str]:
    """A translated message with ``%(name)s`` placeholders as a pattern with named groups."""
    escaped = re.escape(message.strip())
    pattern = re.sub(r"%\\\((\w+)\\\)s", lambda m: f"(?P<{m.group(1)}>.+?)", escaped)
    return re.compile(r"^\s*" + pattern + r"\s*$", re.IGNORECASE)


def _phrases() -> list[_Phrases]:
    """The layout in each catalogue language other than English (whose patterns above are more lenient)."""
    found = []
    for code in i18n.LANGUAGES:
        if code == i18n.DEFAULT_LANGUAGE:
            continue
        with i18n.in_language(code):
            answers = gettext(
                "Here are %(name)s's answers to the main questions discussed during the debate:"
            )
            if answers.startswith("Here are"):
                continue  # no catalogue (outside an app): nothing beyond English to read
            found.append(
                _Phrases(
                    intro=_pattern(
                        gettext(
                            "On %(date)s, %(person)s took part as a panelist in the discussion “%(title)s” "
                            "hosted by “%(host)s”."
                        )
                    ),
                    moderation=_pattern(gettext("- Moderation: %(names)s")),
                    panelists=_pattern(gettext("- Panelist: %(names)s")),
                    answers_of=_pattern(answers),
                    about=_pattern(gettext("*About the host: %(text)s")),
                    marks={gettext(label).casefold(): code for code, label in DELIVERY_LABELS.items()},
                )
            )
    return found


def _korean_date(text: str) -> date | None:
    match = re.search(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일", text)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def _date(text: str) -> date | None:
    if found := _korean_date(text):
        return found
    lowered = text.lower()
    match = re.search(r"(\d{1,2})\s+(" + "|".join(MONTHS) + r")\s+(\d{4})", lowered)
    if match:
        return date(int(match.group(3)), MONTHS[match.group(2)], int(match.group(1)))
    match = re.search(r"(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", lowered)
    if match:
        return date(int(match.group(3)), MONTHS[match.group(1)], int(match.group(2)))
    return None  # no date, or a day without a year


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W_]+", text.casefold()) if len(w) >= 2}


def _who_answers(name: str, intro: str, panelists: list[Person]) -> Person:
    for person in panelists:
        if name.casefold() in {person.name.casefold(), (person.short_name or "").casefold()}:
            return person
    mentioned = _words(intro)
    scored = sorted(
        ((len(_words(f"{p.name} {p.affiliation or ''}") & mentioned), i) for i, p in enumerate(panelists)),
        reverse=True,
    )
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return panelists[scored[0][1]]
    raise InvalidInput(f"Cannot tell which panelist “{name}” is; name them with --speaker.")


def _panel_people(
    line: str, english: re.Pattern[str] | None, language: _Phrases | None
) -> tuple[bool, str] | None:
    """(is it the moderators' line, the names) for a "- Moderation: …" / "- Panelist: …" line."""
    if english is not None and (people := english.match(line)):
        return people.group(1).lower().startswith("moderat"), people.group(2)
    if language is not None:
        if people := language.moderation.match(line):
            return True, people.group("names")
        if people := language.panelists.match(line):
            return False, people.group("names")
    return None


@dataclass
class _Layout:
    """How this summary writes its fixed phrases: in a catalogue language found in it, else in English."""

    language: _Phrases | None  # None: English
    marks: dict[str, str]  # delivery label (casefolded) -> "said" / "written"
    delivery_mark: re.Pattern[str]  # "(written answer) First paragraph …"
    panel_line: re.Pattern[str] | None  # English "- Moderation: …" / "- Panelist: …" (None: the language's)
    answers_of: re.Pattern[str]
    about: re.Pattern[str]


@dataclass
class _Body:
    """What the lines after the intro hold, read in one pass."""

    moderators: list[Person] = field(default_factory=list)
    panelists: list[Person] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    # per question: the answers, each as (delivery or None, paragraphs); a mark starts a new answer
    answers: list[list[tuple[str | None, list[str]]]] = field(default_factory=list)
    answering: str | None = None  # NAME in "Here are NAME's answers …"
    about: list[str] | None = None  # the host's about text, from "*About the host:" to the end


def _layout_of(lines: list[str]) -> _Layout:
    """Find the language the summary is written in and the patterns that read its fixed phrases."""
    # The language the summary is written in: the one whose fixed phrases it uses, else English.
    language = next(
        (
            p
            for p in _phrases()
            if any(p.answers_of.match(line) or p.moderation.match(line) for line in lines)
        ),
        None,
    )
    marks = {**_MARKED, **(language.marks if language else {})}
    delivery_mark = re.compile(
        r"^\s*\((" + "|".join(re.escape(label) for label in marks) + r")\)\s*(.*)$", re.IGNORECASE
    )
    if language is None:
        return _Layout(None, marks, delivery_mark, _PANEL_LINE, _ANSWERS_OF, _ABOUT)
    return _Layout(language, marks, delivery_mark, None, language.answers_of, language.about)


def _opens_with_intro(line: str, layout: _Layout) -> bool:
    """Whether the first line is an intro sentence rather than a question, a panel line or "Here are …"."""
    opening = (
        _NUMBERED.match(line)
        or _panel_people(line, _PANEL_LINE, layout.language) is not None
        or layout.answers_of.match(line)
    )
    return not opening


def _read_intro(intro: str, language: _Phrases | None) -> tuple[str | None, str | None]:
    """The host and the title the intro names: by the language's own sentence, else by the quotes."""
    shaped = language.intro.match(intro) if language and intro else None
    if shaped:
        return shaped.group("host").strip(), shaped.group("title").strip()
    quoted = [a or b for a, b in _QUOTED.findall(intro)]
    hosted = re.search(r"hosted by\s+[“\"]([^”\"]+)", intro, re.IGNORECASE)
    host = hosted.group(1).strip().rstrip(".") if hosted else None
    return host, next((q.strip() for q in quoted if q.strip().rstrip(".") != host), None)


def _read_opening_line(line: str, body: _Body, layout: _Layout) -> bool:
    """Before the first question: file a panel line or "Here are NAME's answers"; False for any other."""
    if (people := _panel_people(line, layout.panel_line, layout.language)) is not None:
        moderators, names = people
        (body.moderators if moderators else body.panelists).extend(_split_people(names))
        return True
    if who := layout.answers_of.match(line):
        body.answering = who.group(1).strip()
        return True
    return False


def _numbered_question(line: str, number: int) -> str | None:
    """The question's text if the line is question `number` ("3. …"); a repeat or a skip is not one."""
    numbered = _NUMBERED.match(line)
    return numbered.group(2).strip() if numbered and int(numbered.group(1)) == number else None


def _read_answer_line(line: str, answers: list[tuple[str | None, list[str]]], layout: _Layout) -> None:
    """Add a paragraph to the question's answers; a delivery mark starts a new answer."""
    marked = layout.delivery_mark.match(line)
    if marked or not answers:
        answers.append((layout.marks[marked.group(1).casefold()] if marked else None, []))
    answers[-1][1].append((marked.group(2) if marked else line).strip())


def _read_line(line: str, body: _Body, layout: _Layout) -> None:
    """File one line of the body where it belongs."""
    if not body.questions and _read_opening_line(line, body, layout):
        return
    if (host := layout.about.match(line)) is not None:
        body.about = [host.group(1).strip()]
    elif body.about is not None:
        body.about.append(line.strip())
    elif (question := _numbered_question(line, len(body.questions) + 1)) is not None:
        body.questions.append(question)
        body.answers.append([])
    elif body.questions:
        _read_answer_line(line, body.answers[-1], layout)


def _read_body(lines: list[str], layout: _Layout) -> _Body:
    """Read the lines after the intro, skipping blank ones and a trailing comment count."""
    body = _Body()
    for line in lines:
        if line.strip() and not _RESIDUE.match(line):
            _read_line(line, body, layout)
    return body


def _answering_name(speaker: str | None, body: _Body) -> str:
    """Whose answers these are as named: by the caller, else by "Here are NAME's answers …"."""
    if not body.questions:
        raise InvalidInput("No numbered questions (“1. …”) were found; is this a panel summary?")
    name = speaker or body.answering
    if name is None:
        raise InvalidInput(
            "The summary does not say whose answers it holds (“Here are NAME's answers …”); "
            "name them with --speaker."
        )
    return name


def _answering_person(name: str, intro: str, panelists: list[Person]) -> Person:
    """The panelist answering (appended to `panelists` when none are listed), with `name` as short name."""
    person = _who_answers(name, intro, panelists) if panelists else None
    if person is None:
        person = Person(name)
        panelists.append(person)
    person.short_name = name if name.casefold() != person.name.casefold() else None
    return person


def _contributions(
    answers: list[list[tuple[str | None, list[str]]]], name: str
) -> tuple[list[tuple[int, str, str, str]], dict[int, str]]:
    """The non-empty answers as `name`'s contributions in order, and the delivery of the marked ones."""
    said: list[tuple[int, str, str, str]] = []
    delivery: dict[int, str] = {}
    for index, blocks in enumerate(answers):
        for way, paragraphs in blocks:
            text = "\n\n".join(p for p in paragraphs if p)
            if not text:
                continue
            if way is not None:
                delivery[len(said)] = way
            said.append((index, name, "answer", text))
    return said, delivery


def parse_summary(text: str, speaker: str | None = None) -> ParsedRecord:
    """Parse the numbered question/answer layout of a panel summary."""
    record = ParsedRecord(layout="summary")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    layout = _layout_of(lines)
    has_intro = _opens_with_intro(lines[first], layout)
    intro = lines[first] if has_intro else ""
    record.host, record.title = _read_intro(intro, layout.language)
    record.when = _date(intro)
    body = _read_body(lines[first + 1 if has_intro else first :], layout)
    record.moderators, record.panelists, record.questions = body.moderators, body.panelists, body.questions
    if body.about:
        record.about_host = "\n\n".join(p for p in body.about if p)
    name = _answering_name(speaker, body)
    person = _answering_person(name, intro, record.panelists)
    record.said, record.delivery = _contributions(body.answers, person.name)
    return record


def _title_name(name: str) -> str:
    return name.title() if name.isupper() else name


def parse_speakers(text: str, moderator: str | None = None) -> ParsedRecord:
    """Parse a speaker-labelled transcript; the moderator's questions become the agenda."""
    record = ParsedRecord(layout="speakers")
    turns: list[list[str]] = []  # [speaker, text]
    unknown = 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line or _RESIDUE.match(line):
            continue
        labelled = _SPEAKER.match(line)
        if labelled and len(labelled.group(1).split()) <= 5:
            turns.append([_title_name(labelled.group(1).strip()), labelled.group(2).strip()])
        elif caption := _CAPTION_TURN.match(line):
            unknown += 1
            turns.append(["Unidentified speaker", caption.group(1).strip()])
        elif turns:
            turns[-1][1] += " " + line
        else:
            record.notes.append(f"Skipped text before the first speaker: {line[:60]}")
    if not turns:
        raise InvalidInput("No speaker-labelled lines (“NAME: text” or “>> NAME: text”) were found.")
    counts = Counter(name for name, _ in turns)
    host_name = _title_name(moderator) if moderator else turns[0][0]
    if host_name not in counts:
        raise InvalidInput(f"“{moderator}” never speaks in this transcript.")
    record.moderators = [Person(host_name)]
    record.panelists = [Person(name) for name in counts if name != host_name]
    current = -1
    for name, said in turns:
        said = said.strip()
        if name == host_name and "?" in said:
            sentences = re.split(r"(?<=[.!?])\s+", said)
            asked = [s for s in sentences if s.endswith("?")]
            record.questions.append(asked[0])
            current = len(record.questions) - 1
            record.said.append((current, name, "moderator_prompt", said))
            continue
        if current < 0:
            record.questions.append("Opening remarks")
            current = 0
        kind = "follow_up" if name == host_name else "answer"
        record.said.append((current, name, kind, said))
    if unknown:
        record.notes.append(f"{unknown} turn(s) had no speaker name and are filed as “Unidentified speaker”.")
    return record


def detect_and_parse(text: str, *, speaker: str | None = None, moderator: str | None = None) -> ParsedRecord:
    """Choose the layout: numbered questions mean a summary, otherwise speaker labels."""
    numbered = sum(1 for line in text.splitlines() if _NUMBERED.match(line))
    labelled = sum(1 for line in text.splitlines() if _SPEAKER.match(line) or _CAPTION_TURN.match(line))
    if numbered >= 1 and numbered * 3 >= labelled:
        return parse_summary(text, speaker)
    return parse_speakers(text, moderator)


def create_draft(
    session: Session,
    organizer: Organizer,
    parsed: ParsedRecord,
    *,
    title: str | None = None,
    host: str | None = None,
    when: datetime | None = None,
    timezone: str = "UTC",
    language: str = "en",
    source: str = "import",
) -> Event:
    """Store a parsed record as a draft event (panel, agenda, contributions) through the ordinary services."""
    start = when or (
        datetime.combine(parsed.when, datetime.min.time()).replace(hour=12) if parsed.when else None
    )
    if start is None:
        start = datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)
        parsed.notes.append(
            "The source gives no full date; the draft starts today at noon — correct it before publishing."
        )
    event = events.create_event(
        session,
        organizer,
        events.EventDetails(
            title=title or parsed.title or "Imported record",
            starts_at_local=start.replace(tzinfo=None),
            timezone=timezone,
            language=language,
            host_name=host or parsed.host or "Unknown host",
            host_about=parsed.about_host,
            summary=f"Imported from {source}.",
        ),
    )
    ids: dict[str, int] = {}
    for role, people in (
        (ParticipantRole.MODERATOR, parsed.moderators),
        (ParticipantRole.PANELIST, parsed.panelists),
    ):
        for person in people:
            added = panel.add_participant(
                session,
                organizer,
                event.id,
                panel.ParticipantDetails(
                    role=role,
                    display_name=person.name,
                    short_name=person.short_name,
                    affiliation=person.affiliation,
                ),
            )
            ids[person.name] = added.id
    question_ids = [agenda.add_question(session, organizer, event.id, text).id for text in parsed.questions]
    for position, (index, name, kind, said) in enumerate(parsed.said, start=1):
        # The limit every other way in holds for imported answers too; the message says which one.
        text = clean_text(
            said,
            field="file",
            label=gettext("Answer %(number)s", number=position),
            max_length=CONTRIBUTION_MAX,
            multiline=True,
        )
        # A marked answer keeps how it was given; unmarked ones stay "imported" (not known).
        source = _SOURCE_OF.get(parsed.delivery.get(position - 1), ContributionSource.IMPORTED)
        item = Contribution(
            event_id=event.id,
            question_id=question_ids[index],
            participant_id=ids.get(name),
            kind=ContributionKind(kind),
            source=source,
            text=text,
            position=position,
        )
        session.add(item)
        session.flush()
        add_revision(session, item, text, f"imported from {source}")
    session.flush()
    return event
