"""Take current screenshots of the product with the system's Chromium: ``make screenshots``.

Run as ``.venv/bin/python docs/screenshots/take.py``. It builds a throwaway site (a temporary folder with
its own SQLite database), migrates it and loads the English demo and its Korean twin
(``seeds/telegram_panel_ko.toml``) with the app's own CLI, invites a scribe to each rehearsal through the
services, and starts the real server (``python app.py``) on a free loopback port. Then it plays an event
day in both rehearsals through the real pages: the moderator starts the session, moves to a question and
gives the floor; a scribe records two contributions; three audience members on phones ask questions, the
moderator approves two, people vote; a stance poll opens and two members answer; one question goes on the
projector and one stays waiting. Finally it writes PNG files to docs/screenshots/ (``-en`` and ``-ko``):
the audience page on a phone (whole page and first screen), the panelist's page on a phone, the moderator
console, the scribe console and the projector, plus the home page and the published demo record. The
server and the temporary folder are removed at the end, even when something fails.

Every step waits for what it should cause (the live state seen by a protocol client from
tests/live_mirror.py, then the page's ``data-seq`` catching up with it), never for a fixed time.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
EN_SEED = ROOT / "seeds" / "open_net_telegram_panel.toml"
KO_SEED = ROOT / "seeds" / "telegram_panel_ko.toml"
sys.path.insert(0, str(ROOT))  # tests/live_server.py and tests/live_mirror.py are plain modules

# The same flags as the browser tests (tests/browser_fixtures.py, which needs pytest, so it is not imported).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
MAX_HEIGHT = 3000  # full-page captures are cut here, to keep the files small
TIMEOUT_MS = 15_000
CONNECTED = "[data-connection][data-status=connected]"
PUBLIC_URL = "https://forum.example.org"


@dataclass(frozen=True)
class Day:
    """What happens in one rehearsal, in its language."""

    code: str
    seed: Path
    locale: str
    scribe: str
    question_position: int  # the agenda question the moderator moves to
    answer: str  # recorded for the panelist who has the floor
    follow_up: str  # recorded for the moderator
    asks: tuple[tuple[str, str, bool], ...]  # (name, text, about the current question) for members A, B, C
    poll_statement: str
    poll_options: tuple[str, ...] = ()  # empty: the server's Agree / Disagree / Undecided
    poll_choices: tuple[int, int] = (1, 2)  # the options members A and B pick


DAYS = (
    Day(
        code="en",
        seed=EN_SEED,
        locale="en-GB",
        scribe="Sam Whitfield",
        question_position=4,
        answer=(
            "Sexual deepfakes of real people are already illegal content, and the law reaches them. "
            "My worry is that every new case brings calls for more platform rules, while nobody asks what "
            "in society makes these crimes possible."
        ),
        follow_up="So heavier duties for platforms would not help victims, in your view? What would?",
        asks=(
            (
                "Minji",
                "If Telegram ignores takedown requests, who should be able to order a block: "
                "a court or a regulator?",
                True,
            ),
            ("", "How could platforms check uploads without reading everyone's private chats?", False),
            ("Daniel", "Are there figures on how many victims had material removed last year?", True),
        ),
        poll_statement="Platforms that ignore takedown requests should be blocked nationally.",
    ),
    Day(
        code="ko",
        seed=KO_SEED,
        locale="ko-KR",
        scribe="박서연",
        question_position=4,
        answer=(
            "실존 인물을 합성한 성적 딥페이크는 이미 불법이고, 지금 법으로도 처벌할 수 있습니다. 사건이 "
            "터질 때마다 플랫폼 규제만 이야기하고, 이런 범죄가 왜 가능한지는 묻지 않는 것이 걱정입니다."
        ),
        follow_up=(
            "그렇다면 플랫폼의 의무를 늘려도 피해자에게 도움이 되지 않는다는 말씀인가요? "
            "무엇이 더 필요할까요?"
        ),
        asks=(
            (
                "민지",
                "텔레그램이 삭제 요청을 무시하면 차단 명령은 누가 내려야 하나요? "
                "법원인가요, 규제 기관인가요?",
                True,
            ),
            ("", "개인 대화를 들여다보지 않고도 플랫폼이 불법 게시물을 걸러낼 방법이 있을까요?", False),
            ("하늘", "작년 한 해 동안 피해물 삭제 지원을 받은 피해자는 몇 명이나 되나요?", True),
        ),
        poll_statement="삭제 요청을 따르지 않는 플랫폼은 국내 접속을 막아야 한다.",
        poll_options=("찬성", "반대", "잘 모르겠다"),
    ),
)


@dataclass
class Rehearsal:
    """A rehearsal event ready to be run: its slug and the invitation tokens of its crew."""

    slug: str
    tokens: dict[str, str] = field(default_factory=dict)  # "moderator", "panelist", "scribe"


class StepFailed(RuntimeError):
    pass


def warn_console(where: str, message: Any) -> None:
    """Show errors a page logs (a refused inline style, a failed request) without stopping the run."""
    if message.type == "error":
        print(f"warning: {where} logged: {message.text}", file=sys.stderr)


def find_chromium() -> str:
    """The system's Chromium (``FORUM_TEST_CHROMIUM`` points at another one), or exit with a message."""
    path = (
        os.environ.get("FORUM_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path or not os.path.exists(path):
        sys.exit(
            "No Chromium found: install the system's Chromium (Debian package 'chromium') or set "
            "FORUM_TEST_CHROMIUM to its path. Screenshots were not taken."
        )
    return path


def run_cli(env: dict[str, str], *args: str) -> str:
    """Run ``flask --app app forum ARGS`` in the throwaway site; a failure stops the run with its output."""
    command = [sys.executable, "-m", "flask", "--app", "app", "forum", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StepFailed(f"'forum {' '.join(args)}' failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def invite_crew(days: tuple[Day, ...]) -> dict[str, Rehearsal]:
    """Add a scribe to each rehearsal and issue links for its moderator, panelist and scribe.

    Goes through the app's services in this process (the server is not running yet), as an organizer
    would on the event's page; the seed's own links are replaced, which is what renewing does.
    """
    from sqlalchemy import select

    from forum import create_app
    from forum.boundary import unit_of_work
    from forum.db import get_db
    from forum.demo import read_seed
    from forum.events import invitations, panel
    from forum.models import Event, Organizer, Participant, ParticipantRole

    app = create_app()
    ready: dict[str, Rehearsal] = {}
    with app.app_context():
        with unit_of_work() as session:
            for day in days:
                spec = read_seed(day.seed)["rehearsal"]
                event = session.scalar(select(Event).where(Event.slug == spec["slug"]))
                organizer = session.get(Organizer, event.organizer_id)
                people = session.scalars(select(Participant).where(Participant.event_id == event.id)).all()
                moderator = next(p for p in people if p.role == ParticipantRole.MODERATOR)
                panelist = next(p for p in people if p.short_name == spec["panelist_link"])
                scribe = panel.add_participant(
                    session,
                    organizer,
                    event.id,
                    panel.ParticipantDetails(role="scribe", display_name=day.scribe),
                )
                rehearsal = Rehearsal(slug=event.slug)
                for role, person in (("moderator", moderator), ("panelist", panelist), ("scribe", scribe)):
                    rehearsal.tokens[role] = invitations.issue_invitation(
                        session, organizer, event.id, person.id
                    )[1]
                ready[day.code] = rehearsal
        get_db().dispose()
    return ready


class Room:
    """The pages and protocol clients of one rehearsal while its event day is played."""

    def __init__(self, browser: Any, base: str, day: Day, rehearsal: Rehearsal) -> None:
        from tests.live_mirror import MirrorClient

        self.browser, self.base, self.day, self.rehearsal = browser, base, day, rehearsal
        self.contexts: list[Any] = []
        self.errors: list[str] = []
        # What each stream holds: steps wait on these, and the pages must catch up with them.
        self.mirrors = [
            MirrorClient(base, auth)
            for auth in (
                {"invite": rehearsal.tokens["moderator"]},
                {"invite": rehearsal.tokens["scribe"]},
                {"event": rehearsal.slug},
            )
        ]
        self.staff, self.crew, self.public = self.mirrors

    def open(self, path: str, device: dict[str, Any], name: str) -> Any:
        context = self.browser.new_context(**device, locale=self.day.locale)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: self.errors.append(f"{self.day.code} {name}: {error}"))
        page.on("console", lambda message: warn_console(f"{self.day.code} {name}", message))
        page.goto(self.base + path)
        page.wait_for_selector(CONNECTED, state="attached")  # the projector shows it only when in trouble
        return page

    def connect(self) -> None:
        for mirror in self.mirrors:
            mirror.connect()

    def close(self) -> None:
        for mirror in self.mirrors:
            mirror.close()
        for context in self.contexts:
            context.close()

    def person(self, role: str, short_name: str | None = None) -> int:
        people = self.staff.state["panel"]
        return next(p["id"] for p in people if p["role"] == role and short_name in (None, p["short_name"]))

    def audience_question(self, text: str) -> int:
        return wait_state(
            self.staff, lambda s: next((q["id"] for q in s["questions"] if q["text"] == text), None)
        )


# Pages are driven through their live forms, found by action name and payload fields (docs/realtime.md:
# "the pages send the same form fields over the socket"), so restyled markup does not break the script.
def form(action: str, **fields: object) -> str:
    has = "".join(f":has(input[name='{name}'][value='{value}'])" for name, value in fields.items())
    return f"form[data-action='{action}']{has}"


def said(page: Any) -> str:
    status = page.locator("[data-action-status]").first
    return (status.text_content() or "").strip() if status.count() else ""


def wait_state(mirror: Any, predicate: Callable[[dict[str, Any]], Any], what: str = "") -> Any:
    """Wait until the stream's state satisfies ``predicate`` and return what it found."""
    found: list[Any] = []

    def holds(state: dict[str, Any]) -> bool:
        found[:] = [predicate(state)]
        return bool(found[0])

    if not mirror.wait_until(holds, timeout=TIMEOUT_MS / 1000):
        raise StepFailed(f"the live state never showed {what or 'the expected change'}")
    return found[0]


def caught_up(page: Any, mirror: Any, name: str) -> None:
    """Wait until the page shows at least what the protocol client on its stream has seen (``data-seq``)."""
    target = mirror.seq
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        shown = page.get_attribute("[data-live]", "data-seq")
        if shown is not None and int(shown) >= target:
            return
        time.sleep(0.05)  # polling an attribute: the page's CSP forbids evaluating a predicate in it
    raise StepFailed(f"{name}: the page never caught up with change {target} of its stream")


def act(page: Any, action: str, fields: dict[str, object], mirror: Any, done: Callable, what: str) -> None:
    """Press a live form's button, wait for its effect on the stream and for the page to show it."""
    page.click(form(action, **fields) + " button[type=submit]")
    try:
        wait_state(mirror, done)
    except StepFailed:
        raise StepFailed(f"{what}: nothing changed. The page said: {said(page) or 'nothing'}") from None
    caught_up(page, mirror, what)


def send(page: Any, action: str, values: dict[str, str], what: str) -> None:
    """Fill a live form (fields by payload name), submit it and wait for the answer, which must be ok."""
    target = form(action)
    for name, value in values.items():
        page.fill(f"{target} [name='{name}']", value)
    page.click(f"{target} button[type=submit]")
    # The page marks the form busy as it sends (synchronously, in the submit handler) until the ack.
    page.wait_for_selector(f"{target}:not([aria-busy])")
    if page.locator("[data-action-status]").first.get_attribute("data-outcome") != "ok":
        raise StepFailed(f"{what} was refused: {said(page)}")


def play(room: Room) -> dict[str, Any]:
    """Play the event day in one rehearsal and return the pages to photograph."""
    day, slug, tokens = room.day, room.rehearsal.slug, room.rehearsal.tokens
    staff, crew, public = room.staff, room.crew, room.public
    console = room.open(f"/invite/{tokens['moderator']}/live", LAPTOP, "console")
    scribe = room.open(f"/invite/{tokens['scribe']}/live", LAPTOP, "scribe")
    panelist = room.open(f"/invite/{tokens['panelist']}/live", PHONE, "panelist")
    projector = room.open(f"/e/{slug}/projector", PROJECTOR, "projector")
    members = [room.open(f"/e/{slug}", PHONE, f"audience {n}") for n in "ABC"]

    act(
        console,
        "session.start",
        {},
        staff,
        lambda s: s["session"]["status"] == "live",
        "Starting the session",
    )
    question = next(q["id"] for q in staff.state["agenda"] if q["position"] == day.question_position)
    act(
        console,
        "question.goto",
        {"question_id": question},
        staff,
        lambda s: s["current_question_id"] == question,
        "Moving to a question",
    )
    speaker = room.person("panelist", "Kimmy")
    act(
        console,
        "floor.give",
        {"participant_id": speaker},
        staff,
        lambda s: (s["floor"] or {}).get("participant_id") == speaker,
        "Giving the floor",
    )

    # The scribe records the panelist's answer, then the moderator's follow-up, under the current question.
    caught_up(scribe, crew, "scribe")
    for person, kind, text in (
        (speaker, "answer", day.answer),
        (room.person("moderator"), "follow_up", day.follow_up),
    ):
        scribe.select_option(form("contribution.add") + " [name='participant_id']", str(person))
        scribe.select_option(form("contribution.add") + " [name='kind']", kind)
        send(scribe, "contribution.add", {"text": text}, "Recording a contribution")
        wait_state(crew, lambda s, text=text: any(c["text"] == text for c in s["feed"]), "the contribution")

    asked = []
    for member, (name, text, about_current) in zip(members, day.asks, strict=True):
        member.set_checked(form("audience.ask") + " [name='about_current']", about_current)
        send(member, "audience.ask", {"text": text, "display_name": name}, "Asking a question")
        asked.append(room.audience_question(text))
    first, second, waiting = asked
    for question_id in (first, second):
        act(
            console,
            "moderation.approve",
            {"question_id": question_id},
            staff,
            lambda s, q=question_id: any(x["id"] == q and x["status"] == "approved" for x in s["questions"]),
            "Approving a question",
        )

    votes = {first: 0, second: 0}
    for member, question_id in ((members[1], first), (members[2], first), (members[0], second)):
        votes[question_id] += 1
        caught_up(member, public, "audience")
        act(
            member,
            "audience.vote",
            {"question_id": question_id, "up": "true"},
            public,
            lambda s, q=question_id, n=votes[question_id]: any(
                x["id"] == q and x["votes"] == n for x in s["questions"]
            ),
            "Voting",
        )

    options = "\n".join(day.poll_options)
    send(console, "poll.open", {"prompt": day.poll_statement, "options": options}, "Opening a poll")
    poll = wait_state(
        public, lambda s: next((p for p in s["polls"] if p["status"] == "open"), None), "a poll"
    )
    for count, (member, choice) in enumerate(zip(members, day.poll_choices, strict=False), start=1):
        caught_up(member, public, "audience")
        act(
            member,
            "poll.vote",
            {"option_id": poll["options"][choice]["id"]},
            public,
            lambda s, n=count: any(p["id"] == poll["id"] and p["total"] == n for p in s["polls"]),
            "Answering the poll",
        )

    act(
        console,
        "moderation.highlight",
        {"question_id": first},
        staff,
        lambda s: s["highlighted_question_id"] == first,
        "Showing a question on the projector",
    )
    # An answered question stays on the board with its final count: no vote button, no report.
    act(
        console,
        "moderation.answered",
        {"question_id": second, "answered": "true"},
        staff,
        lambda s: any(x["id"] == second and x["status"] == "answered" for x in s["questions"]),
        "Marking a question answered",
    )
    if not any(q["id"] == waiting and q["status"] == "pending" for q in staff.state["questions"]):
        raise StepFailed("the third question should still be waiting for the moderator")
    for name, page, mirror in (
        ("console", console, staff),
        ("scribe", scribe, crew),
        ("panelist", panelist, public),
        ("projector", projector, public),
        *((f"audience {n}", page, public) for n, page in zip("ABC", members, strict=True)),
    ):
        caught_up(page, mirror, name)
    return {
        "console": console,
        "scribe": scribe,
        "panelist": panelist,
        "projector": projector,
        "audience": members[0],
    }


def shoot(page: Any, name: str, *, full_page: bool = False, max_height: int = MAX_HEIGHT) -> Path:
    """Write one PNG of the page as a person first sees it (scrolled to the top, nothing focused).

    A full page is cut at ``max_height`` pixels.
    """
    path = OUT / name
    # Pressing buttons scrolled the page and left one focused; a person opening the page sees neither.
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    # Korean text waits for its font (the device's own, or the bundled subset) before the picture is taken.
    page.evaluate("document.fonts.ready.then(() => true)")
    if full_page:
        height = min(int(page.locator("body").bounding_box()["height"]) + 1, max_height)
        width = page.viewport_size["width"]
        page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
    else:
        page.screenshot(path=path)
    return path


def take(browser: Any, base: str, rehearsals: dict[str, Rehearsal]) -> tuple[list[Path], list[str]]:
    shots: list[Path] = []
    errors: list[str] = []
    for day in DAYS:
        room = Room(browser, base, day, rehearsals[day.code])
        try:
            room.connect()
            pages = play(room)
            shots += [
                shoot(pages["audience"], f"audience-phone-{day.code}.png", full_page=True),
                shoot(pages["audience"], f"audience-phone-top-{day.code}.png"),
                shoot(pages["panelist"], f"panelist-phone-{day.code}.png", full_page=True),
                shoot(pages["console"], f"console-{day.code}.png"),
                # Down to the recording form and the record so far; the panelists' answers run on below.
                shoot(pages["scribe"], f"scribe-{day.code}.png", full_page=True, max_height=1400),
                shoot(pages["projector"], f"projector-{day.code}.png"),
            ]
        finally:
            errors += room.errors
            room.close()

    # The home page lists both rehearsals as live now; the archive holds the published demo record. Both
    # in each interface language: the record's own phrases stay in the event's language either way.
    from forum.demo import read_seed

    record = f"{base}/archive/{read_seed(EN_SEED)['event']['slug']}"
    for day in DAYS:
        context = browser.new_context(**DESKTOP, locale=day.locale)
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda error, code=day.code: errors.append(f"{code} home/record: {error}"))
            page.goto(base + "/")
            shots.append(shoot(page, f"home-{day.code}.png"))
            page.goto(record)
            shots.append(shoot(page, f"record-en-event-{day.code}.png", full_page=True))
            page.goto(f"{base}/invite/{rehearsals[day.code].tokens['panelist']}")
            shots.append(shoot(page, f"invitation-{day.code}.png", full_page=True))
        finally:
            context.close()
    return shots, errors


def main() -> int:
    chromium = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("Playwright is not installed in this environment; run `make install` first.")
    from tests.live_server import LiveServer

    # SIGTERM ends the run like Ctrl-C, so the server and the temporary folder are still cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("Stopped."))
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="forum-screenshots-"))
    server = None
    try:
        database_url = f"sqlite:///{workdir / 'forum.sqlite3'}"
        # Join links on the projector show the address people would use, not this run's loopback port.
        server = LiveServer(database_url, workdir, FORUM_PUBLIC_URL=PUBLIC_URL)
        for name in [k for k in os.environ if k.startswith("FORUM_")]:
            del os.environ[name]  # the throwaway site takes no settings from the caller's environment
        os.environ.update(
            {k: v for k, v in server.env.items() if k.startswith("FORUM_")}  # the same site the server serves
        )
        env = dict(os.environ)
        print(run_cli(env, "upgrade").strip())
        run_cli(env, "seed")
        run_cli(env, "seed", "--file", str(KO_SEED.relative_to(ROOT)))
        rehearsals = invite_crew(DAYS)
        server.start()
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                shots, errors = take(browser, server.url, rehearsals)
            finally:
                browser.close()
    except Exception as error:
        if not isinstance(error, StepFailed):
            traceback.print_exc()
        print(f"Screenshots failed: {error}", file=sys.stderr)
        if server is not None and server.process is not None:
            print(f"Server log (last lines):\n{server.log()}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for path in shots:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB")
    for error in errors:
        print(f"JavaScript error on a page: {error}", file=sys.stderr)
    print(f"{len(shots)} screenshots in {time.monotonic() - started:.0f} s.")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
