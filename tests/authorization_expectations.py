"""Who may do what, and when: the expected outcome of every route and every live action, for every role and
every stage of an event. ``tests/test_authorization_matrix.py`` performs each one and compares.

A route of ``app.url_map`` or an action of ``forum.live.actions.ACTIONS`` that is missing here fails that
test: add it to ``ROUTES`` or ``ACTIONS`` below, saying who may use it in which stages.

Each route's entry is one request (or a few, ``Case``s with a label) described with placeholders that the
test fills from the event of the stage under test: ``{event_id}``, ``{slug}``, ``{q1}``…``{q3}`` (agenda),
``{kimmy}``/``{hong}`` (panelists), ``{spare}`` (a panelist with nothing on record), ``{pending}`` (the
audience member's question waiting for a moderator), ``{approved}``/``{duplicate}`` (two published audience
questions of a third member), ``{poll}``/``{option}``, ``{contribution}`` (a panelist's contribution: said in
the session once it ran, the prepared answer before), ``{comment}`` (a reader's comment on the record),
``{anchor}``, ``{panelist_key}``, ``{join_code}``, ``{other_email}``. ``{token}`` is the role's own invitation
token, or a well-formed unknown one for people without an invitation.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tests.conftest import DEFAULT_PASSWORD


class Role(enum.StrEnum):
    """Who is asking. Invited people carry their invitation token; organizers their sign-in; the audience a
    browser identity (the blocked one belongs to a member a moderator blocked in this event)."""

    ANONYMOUS = "anonymous"
    AUDIENCE = "audience"
    BLOCKED = "blocked audience"
    PANELIST = "panelist"
    SCRIBE = "scribe"
    MODERATOR = "moderator"
    OWNER = "organizer (owner)"
    OTHER_ORGANIZER = "another organizer"


class Stage(enum.StrEnum):
    """Where the event stands: its ``EventStatus``, plus a record that was published and then taken down
    (status ``ended`` again, with versions)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class Outcome(enum.StrEnum):
    OK = "ok"  # allowed: the page, the redirect onward, or the action's ack with ok
    DENY = "deny"  # refused, whichever way (where the exact way does not matter)
    SIGN_IN = "sign in"  # HTTP: sent to the sign-in page
    NOT_FOUND = "not found"  # HTTP 404; a refused connection or ack with code not_found
    FORBIDDEN = "forbidden"  # HTTP 401/403; ack forbidden, no_identity, blocked, access_revoked, signed_out
    REFUSED = "refused"  # a rule of the stage or state: HTTP 409/422 or a form sent back with an error;
    #                      ack not_live, event_ended, already_live, record_withdrawn, conflict, …
    # Only ever observed, never expected:
    INVALID = "invalid"  # HTTP 400/405; ack invalid or bad_payload: the test sent a malformed request
    ERROR = "error"  # HTTP 500, ack server_error or no ack at all
    CHANGED = "refused, yet changed data"  # a refusal after which the database holds a committed change


REFUSALS = frozenset({Outcome.SIGN_IN, Outcome.NOT_FOUND, Outcome.FORBIDDEN, Outcome.REFUSED})


def matches(expected: Outcome, observed: Outcome) -> bool:
    return observed in REFUSALS if expected is Outcome.DENY else observed is expected


OK = Outcome.OK
DENY = Outcome.DENY
SIGN_IN = Outcome.SIGN_IN
NOT_FOUND = Outcome.NOT_FOUND
FORBIDDEN = Outcome.FORBIDDEN
REFUSED = Outcome.REFUSED
ALL = frozenset(Stage)
AUDIENCE_OPEN = frozenset({Stage.SCHEDULED, Stage.LIVE})  # forum.models.AUDIENCE_OPEN_STATUSES
INVITED = frozenset({Role.PANELIST, Role.SCRIBE, Role.MODERATOR})
SIGNED_OUT = frozenset(Role) - {Role.OWNER, Role.OTHER_ORGANIZER}

RouteRule = Callable[[Role, Stage], Outcome]


# --- Rules for pages and form posts -------------------------------------------------------------------


def everyone(outcome: Outcome = OK) -> RouteRule:
    return lambda role, stage: outcome


def in_stages(stages: frozenset[Stage], otherwise: Outcome = NOT_FOUND) -> RouteRule:
    """Anyone, in these stages of the event."""
    return lambda role, stage: OK if stage in stages else otherwise


def signed_in() -> RouteRule:
    """Any signed-in organizer; everyone else is sent to sign in."""
    return lambda role, stage: SIGN_IN if role in SIGNED_OUT else OK


def owner(stages: frozenset[Stage] = ALL, otherwise: Outcome = REFUSED) -> RouteRule:
    """``/manage/<event>``: the event's owner, in these stages. Signed-out people are sent to sign in; another
    organizer is told there is no such event (a 403 would confirm that a draft exists)."""

    def rule(role: Role, stage: Stage) -> Outcome:
        if role in SIGNED_OUT:
            return SIGN_IN
        if role is Role.OTHER_ORGANIZER:
            return NOT_FOUND
        return OK if stage in stages else otherwise

    return rule


def public_page() -> RouteRule:
    """An event's public face: anyone once it is scheduled; a draft only its owner."""
    return lambda role, stage: NOT_FOUND if stage is Stage.DRAFT and role is not Role.OWNER else OK


def invited(
    roles: frozenset[Role] = INVITED,
    stages: frozenset[Stage] = ALL,
    *,
    wrong_role: Outcome = FORBIDDEN,
    wrong_stage: Outcome = REFUSED,
) -> RouteRule:
    """``/invite/<token>``: the invited people of ``roles``, in these stages; without a working token, 404."""

    def rule(role: Role, stage: Stage) -> Outcome:
        if role not in INVITED:
            return NOT_FOUND
        if role not in roles:
            return wrong_role
        return OK if stage in stages else wrong_stage

    return rule


def reader(*, blocked: Outcome = OK) -> RouteRule:
    """A reader's post on a published record: anyone (a browser gets an identity on its first post); a
    member the moderator blocked gets ``blocked``. No record, no page."""

    def rule(role: Role, stage: Stage) -> Outcome:
        if stage is not Stage.PUBLISHED:
            return NOT_FOUND
        return blocked if role is Role.BLOCKED else OK

    return rule


@dataclass(frozen=True)
class Case:
    """One request to a route: who may make it (``rule``), its URL variables and its form (placeholders
    filled from the stage's event, see the module docstring), and a label when a route has several."""

    rule: RouteRule
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    data: Mapping[str, str] | None = None
    query: str = ""
    label: str = ""


@dataclass(frozen=True)
class ActionDoor:
    """A route that performs any live action named in its URL; ``door`` says who gets through (an actor
    kind for the action's own rule, or an outcome the door decides itself)."""

    door: Callable[[Role, Stage, str], ActorKind | Outcome]


CONFIRMED = MappingProxyType({"confirmed": "1"})  # destructive posts carry it after the question was asked
EVENT_FORM = MappingProxyType(
    {
        "title": "Is it okay to use Telegram as it is?",
        "starts_at": "2024-11-23T14:00",
        "timezone": "Asia/Seoul",
        "language": "en",
        "venue": "Seoul",
        "host_name": "People Outraged by the Nth Room Incident",
    }
)


# --- Live actions: who is acting, and the rule of each action ---------------------------------------


class ActorKind(enum.StrEnum):
    """Who an action's service sees. ``NEWCOMER`` is a browser without an identity cookie at a form door:
    it is given one, so it acts as a new audience member; ``NO_IDENTITY`` is a socket without a token."""

    NO_IDENTITY = "audience without identity"
    NEWCOMER = "new audience member"
    AUDIENCE = "audience member"
    BLOCKED = "blocked member"
    PANELIST = "panelist"
    SCRIBE = "scribe"
    MODERATOR = "moderator"
    ORGANIZER = "organizer"


ActionRule = Callable[[ActorKind, Stage], Outcome]
AUDIENCE_KINDS = frozenset({ActorKind.NO_IDENTITY, ActorKind.NEWCOMER, ActorKind.AUDIENCE, ActorKind.BLOCKED})


def anyone() -> ActionRule:
    return lambda kind, stage: OK


def needs(kinds: frozenset[ActorKind], stages: frozenset[Stage], otherwise: Outcome = REFUSED) -> ActionRule:
    def rule(kind: ActorKind, stage: Stage) -> Outcome:
        if kind not in kinds:
            return FORBIDDEN
        return OK if stage in stages else otherwise

    return rule


def moderate(stages: frozenset[Stage] = ALL, otherwise: Outcome = REFUSED) -> ActionRule:
    """The moderator and the organizer (capability ``moderate``)."""
    return needs(frozenset({ActorKind.MODERATOR, ActorKind.ORGANIZER}), stages, otherwise)


def capture(stages: frozenset[Stage], otherwise: Outcome = REFUSED) -> ActionRule:
    """Scribes, the moderator and the organizer (capability ``capture``)."""
    return needs(frozenset({ActorKind.SCRIBE, ActorKind.MODERATOR, ActorKind.ORGANIZER}), stages, otherwise)


def answer(stages: frozenset[Stage]) -> ActionRule:
    """Panelists (capability ``answer``)."""
    return needs(frozenset({ActorKind.PANELIST}), stages)


def participate(*, blocked: Outcome, newcomer: Outcome = OK) -> ActionRule:
    """The audience (capability ``participate``), with an identity, while the event is scheduled or live.

    ``blocked`` is what a blocked member gets, ``newcomer`` what a member gets who has not taken part yet
    (e.g. when the action concerns the audience member's own question).
    """

    def rule(kind: ActorKind, stage: Stage) -> Outcome:
        if kind not in AUDIENCE_KINDS:
            return FORBIDDEN
        if stage not in AUDIENCE_OPEN:
            return DENY  # event_ended (or no identity, whichever the service checks first)
        if kind is ActorKind.NO_IDENTITY:
            return FORBIDDEN
        if kind is ActorKind.BLOCKED:
            return blocked
        return newcomer if kind is ActorKind.NEWCOMER else OK

    return rule


@dataclass(frozen=True)
class Action:
    """A live action's rule and its payload (placeholders as for routes; JSON values for sockets, turned
    into form strings at the HTML doors)."""

    rule: ActionRule
    payload: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


LIVE_ONLY = frozenset({Stage.LIVE})
CAPTURED = frozenset({Stage.LIVE, Stage.ENDED, Stage.UNPUBLISHED})  # forum.models.CAPTURE_STATUSES
NOT_PUBLISHED = ALL - {Stage.PUBLISHED}

ACTIONS: dict[str, Action] = {
    "sync": Action(anyone()),
    "board.page": Action(anyone(), {"sort": "votes"}),
    # A session opens once the event is scheduled and may be resumed after it ended, unless its record is
    # published. An unpublished record is an ended event again, so its session may be reopened (the feed
    # stays off: record_withdrawn).
    "session.start": Action(moderate(frozenset({Stage.SCHEDULED, Stage.ENDED, Stage.UNPUBLISHED}))),
    "session.end": Action(moderate(LIVE_ONLY)),
    "question.goto": Action(moderate(LIVE_ONLY), {"question_id": "{q3}"}),
    "question.next": Action(moderate(LIVE_ONLY)),
    "question.previous": Action(moderate(LIVE_ONLY)),
    "question.add": Action(moderate(LIVE_ONLY), {"text": "Who should enforce it?"}),
    "floor.give": Action(moderate(LIVE_ONLY), {"participant_id": "{kimmy}"}),
    "floor.release": Action(moderate(LIVE_ONLY)),
    # Prompts may be prepared before the session and corrected after it, until the record is published.
    "prompt.save": Action(moderate(NOT_PUBLISHED), {"question_id": "{q2}", "text": "Let us start with you."}),
    # Switching the feed on is refused once the record was taken down (it would make it public again).
    "feed.set": Action(moderate(ALL - {Stage.UNPUBLISHED}), {"enabled": True}),
    "projector.keep": Action(moderate(), {"keep": True}),
    "captions.projector": Action(moderate(), {"on": True}),
    "contribution.add": Action(
        capture(CAPTURED), {"participant_id": "{kimmy}", "question_id": "{q2}", "text": "We need consensus."}
    ),
    # Only what was said in the session can be corrected here: before it there is nothing (the prepared
    # answer is not the scribes' to change); after publication corrections go through the editor.
    "contribution.edit": Action(
        capture(CAPTURED, otherwise=DENY), {"contribution_id": "{contribution}", "text": "Corrected."}
    ),
    "answer.save": Action(answer(NOT_PUBLISHED), {"question_id": "{q3}", "text": "My written answer."}),
    "audience.ask": Action(
        participate(blocked=FORBIDDEN), {"text": "What about encryption?", "client_id": "matrix-ask-1"}
    ),
    # The member's own question, while it waits for a moderator; a newcomer has no such question.
    "audience.edit": Action(
        participate(blocked=FORBIDDEN, newcomer=NOT_FOUND), {"question_id": "{pending}", "text": "Reworded?"}
    ),
    "audience.withdraw": Action(
        participate(blocked=NOT_FOUND, newcomer=NOT_FOUND), {"question_id": "{pending}"}
    ),
    # A block stops posting (questions, edits, reports); votes are not posts.
    "audience.vote": Action(
        participate(blocked=OK), {"question_id": "{approved}", "up": True, "client_id": "matrix-vote-1"}
    ),
    "audience.report": Action(
        participate(blocked=FORBIDDEN),
        {"question_id": "{approved}", "reason": "Off topic", "client_id": "matrix-report-1"},
    ),
    "poll.vote": Action(
        participate(blocked=OK), {"poll_id": "{poll}", "option_id": "{option}", "client_id": "matrix-poll-1"}
    ),
    # Moderating the audience has no stage of its own: the queue is worked before, during and after the
    # session, and the record editor uses the same decisions.
    "moderation.approve": Action(moderate(), {"question_id": "{pending}"}),
    "moderation.reject": Action(moderate(), {"question_id": "{pending}", "reason": "Asked already."}),
    "moderation.answered": Action(moderate(), {"question_id": "{approved}", "answered": True}),
    "moderation.pin": Action(moderate(), {"question_id": "{approved}", "pinned": True}),
    "moderation.highlight": Action(moderate(), {"question_id": "{approved}"}),
    "moderation.merge": Action(moderate(), {"question_id": "{duplicate}", "into_id": "{approved}"}),
    "moderation.block": Action(moderate(), {"question_id": "{duplicate}", "blocked": True}),
    "moderation.settings": Action(moderate(), {"report_threshold": 5}),
    "poll.open": Action(moderate(), {"question_id": "{q2}", "options": "Yes\nNo"}),
    "poll.close": Action(moderate(), {"poll_id": "{poll}"}),
}


# --- The doors to the live actions ---------------------------------------------------------------------

_KIND = {
    Role.PANELIST: ActorKind.PANELIST,
    Role.SCRIBE: ActorKind.SCRIBE,
    Role.MODERATOR: ActorKind.MODERATOR,
}


def socket_door(role: Role, stage: Stage, action: str) -> ActorKind | Outcome:
    """The ``/live`` namespace: invited people by their token (even in a draft's room), the owner by the
    sign-in; everyone else is audience (with an identity token or not), and a draft's room is closed to
    them."""
    if role in INVITED:
        return _KIND[role]
    if role is Role.OWNER:
        return ActorKind.ORGANIZER
    if stage is Stage.DRAFT:
        return NOT_FOUND
    return {
        Role.AUDIENCE: ActorKind.AUDIENCE,
        Role.BLOCKED: ActorKind.BLOCKED,
    }.get(role, ActorKind.NO_IDENTITY)  # anonymous, and another organizer with no identity of their own


def console_door(role: Role, stage: Stage, action: str) -> ActorKind | Outcome:
    """``POST /manage/<event>/live/<action>``: the owner only."""
    return ActorKind.ORGANIZER if role is Role.OWNER else owner()(role, stage)


def invitation_door(role: Role, stage: Stage, action: str) -> ActorKind | Outcome:
    """``POST /invite/<token>/live/<action>``: whoever the token names."""
    return _KIND.get(role, NOT_FOUND)


def audience_door(role: Role, stage: Stage, action: str) -> ActorKind | Outcome:
    """``POST /e/<slug>/act/<action>``: the audience's actions only, on a public event; the browser's cookie
    is its identity (a browser without one gets one)."""
    if stage is Stage.DRAFT:
        return NOT_FOUND
    if not action.startswith(("audience.", "poll.vote")):
        return REFUSED
    return {Role.AUDIENCE: ActorKind.AUDIENCE, Role.BLOCKED: ActorKind.BLOCKED}.get(role, ActorKind.NEWCOMER)


# --- Every route --------------------------------------------------------------------------------------

ANY_RECORD = frozenset({Stage.PUBLISHED})
PUBLISHABLE = frozenset({Stage.DRAFT, Stage.SCHEDULED, Stage.ENDED, Stage.PUBLISHED, Stage.UNPUBLISHED})
RECORD = in_stages(ANY_RECORD)
NOT_DRAFT = ALL - {Stage.DRAFT}

ROUTES: dict[str, Case | tuple[Case, ...]] = {
    # The site
    "GET /": Case(everyone()),
    "GET /healthz": Case(everyone()),
    "GET /language/<code>": Case(everyone(), {"code": "ko"}, query="next=/archive/"),
    "GET /static/<path:filename>": Case(everyone(), {"filename": "css/forum.css"}),
    # Joining by code: only events the public may see (drafts are not found, with a message).
    "GET /j/": Case(everyone(REFUSED)),  # no code at all: back to the join box with a message
    "GET /j/<path:code>": Case(in_stages(NOT_DRAFT, REFUSED), {"code": "{join_code}"}),
    "GET /join": Case(in_stages(NOT_DRAFT, REFUSED), query="code={join_code}"),
    # Accounts
    "GET /auth/signin": Case(everyone()),
    "POST /auth/signin": Case(everyone(), data={"email": "{other_email}", "password": DEFAULT_PASSWORD}),
    "GET /auth/signup": Case(everyone()),
    "POST /auth/signup": Case(
        everyone(),
        data={
            "display_name": "New Organizer",
            "email": "new.organizer@example.org",
            "password": DEFAULT_PASSWORD,
            "confirm": DEFAULT_PASSWORD,
        },
    ),
    "POST /auth/signout": Case(signed_in()),
    "POST /api/audience-identity": Case(everyone()),
    # The organizer's events and their set-up
    "GET /manage/": Case(signed_in()),
    "GET /manage/new": Case(signed_in()),
    "POST /manage/new": Case(signed_in(), data=EVENT_FORM),
    "GET /manage/<id:event_id>": Case(owner()),
    "GET /manage/<id:event_id>/edit": Case(owner()),
    "POST /manage/<id:event_id>/edit": Case(owner(), data=EVENT_FORM),
    "POST /manage/<id:event_id>/delete": Case(owner(frozenset({Stage.DRAFT})), data=CONFIRMED),
    "POST /manage/<id:event_id>/status": (
        Case(owner(frozenset({Stage.DRAFT})), data={"status": "scheduled"}, label="schedule"),
        Case(owner(frozenset({Stage.SCHEDULED})), data={"status": "draft"}, label="back to draft"),
    ),
    "GET /manage/<id:event_id>/panel/new": Case(owner()),
    "POST /manage/<id:event_id>/panel/new": Case(
        owner(), data={"role": "panelist", "display_name": "Park Ji-won"}
    ),
    "GET /manage/<id:event_id>/panel/<id:participant_id>/edit": Case(owner(), {"participant_id": "{kimmy}"}),
    "POST /manage/<id:event_id>/panel/<id:participant_id>/edit": Case(
        owner(),
        {"participant_id": "{kimmy}"},
        data={"role": "panelist", "display_name": "Oh Kyoungmi", "short_name": "Kimmy", "affiliation": "ONK"},
    ),
    "POST /manage/<id:event_id>/panel/<id:participant_id>/delete": (
        Case(owner(), {"participant_id": "{spare}"}, data=CONFIRMED, label="nothing on record"),
        # Someone whose words are on record stays (their prepared answer would lose its speaker).
        Case(owner(frozenset()), {"participant_id": "{kimmy}"}, data=CONFIRMED, label="on record"),
    ),
    "POST /manage/<id:event_id>/panel/<id:participant_id>/move": Case(
        owner(), {"participant_id": "{hong}"}, data={"direction": "up"}
    ),
    # Captions: the organizer's caption link; the link itself is a secret of its own (docs/captions.md), so
    # a role's invitation token opens nothing there.
    "POST /manage/<id:event_id>/captions/link": Case(owner()),
    "POST /manage/<id:event_id>/captions/link/revoke": Case(owner()),
    "POST /manage/<id:event_id>/captions/public": Case(owner(), data={"public": "false"}),
    "POST /manage/<id:event_id>/captions/record": Case(
        owner(), data={"recording_url": "https://video.example.org/debate.mp4", "recording_offset": "1:35"}
    ),
    "GET /manage/<id:event_id>/captions.<any(vtt, srt):kind>": (
        Case(owner(), {"kind": "vtt"}, label="WebVTT"),
        Case(owner(), {"kind": "srt"}, label="SRT"),
    ),
    "POST /captions/<token>": Case(everyone(NOT_FOUND), {"token": "{token}"}, query="seq=1&lang=ko-KR"),
    "GET /captions/<token>/seq": Case(everyone(NOT_FOUND), {"token": "{token}"}),
    "POST /manage/<id:event_id>/panel/<id:participant_id>/invitation": Case(
        owner(), {"participant_id": "{kimmy}"}, data=CONFIRMED
    ),
    # The matrix has no mail server and sends no working link: the owner is told why, nothing is sent.
    "POST /manage/<id:event_id>/panel/<id:participant_id>/invitation/email": Case(
        owner(frozenset()),
        {"participant_id": "{kimmy}"},
        data={"token": "not-a-working-link", "email": "kimmy@example.org", "language": "en"},
    ),
    "POST /manage/<id:event_id>/panel/<id:participant_id>/invitation/revoke": Case(
        owner(), {"participant_id": "{kimmy}"}, data=CONFIRMED
    ),
    "POST /manage/<id:event_id>/invitations": Case(owner(), data={"renew": "1", "confirmed": "1"}),
    "GET /manage/<id:event_id>/agenda/new": Case(owner()),
    "POST /manage/<id:event_id>/agenda/new": Case(owner(), data={"text": "Who should pay for moderation?"}),
    "GET /manage/<id:event_id>/agenda/<id:question_id>/edit": Case(owner(), {"question_id": "{q3}"}),
    "POST /manage/<id:event_id>/agenda/<id:question_id>/edit": Case(
        owner(), {"question_id": "{q3}"}, data={"text": "Should platforms ever be blocked?"}
    ),
    "POST /manage/<id:event_id>/agenda/<id:question_id>/delete": (
        Case(owner(), {"question_id": "{q3}"}, data=CONFIRMED, label="no answers"),
        # Answers filed under a question keep it once the session has run.
        Case(
            owner(frozenset({Stage.DRAFT, Stage.SCHEDULED})),
            {"question_id": "{q1}"},
            data=CONFIRMED,
            label="with answers",
        ),
    ),
    "POST /manage/<id:event_id>/agenda/<id:question_id>/move": Case(
        owner(), {"question_id": "{q1}"}, data={"direction": "down"}
    ),
    "GET /manage/<id:event_id>/answers": Case(owner()),
    "GET /manage/<id:event_id>/audience": Case(owner()),
    "POST /manage/<id:event_id>/audience": Case(
        owner(),
        data={"questions_enabled": "y", "premoderation": "y", "word_list": "", "report_threshold": "4"},
    ),
    # The live room
    "GET /manage/<id:event_id>/live": Case(owner()),
    "POST /manage/<id:event_id>/live/<name>": ActionDoor(console_door),
    "GET /e/<slug>": Case(public_page()),
    "GET /e/<slug>/projector": Case(public_page()),
    "POST /e/<slug>/act/<name>": ActionDoor(audience_door),
    # Invitation links
    "GET /invite/<token>": Case(invited()),
    # Prepared answers are the panelists' own, until the record is published.
    "POST /invite/<token>": Case(
        invited(frozenset({Role.PANELIST}), NOT_PUBLISHED),
        data={"answer_{q1}": "Prepared.", "answer_{q2}": "Also prepared.", "answer_{q3}": ""},
    ),
    "GET /invite/<token>/live": Case(invited()),
    "POST /invite/<token>/live/<name>": ActionDoor(invitation_door),
    "GET /invite/<token>/review": Case(invited()),
    "POST /invite/<token>/review": (
        Case(invited(), data={"op": "approve-all"}, label="approve all"),
        # Only the panelist's own answer (scribes correct through the console, the moderator has none here),
        # and, as for prepared answers and the console, not once the record is published.
        Case(
            invited(frozenset({Role.PANELIST}), NOT_PUBLISHED, wrong_role=REFUSED),
            data={"op": "correct", "contribution_id": "{contribution}", "text": "What I meant to say."},
            label="correct own answer",
        ),
    ),
    # The record: editing, previewing, publishing
    "GET /manage/<id:event_id>/record": Case(owner()),
    "GET /manage/<id:event_id>/record/preview": Case(owner()),
    "POST /manage/<id:event_id>/record/contributions/<id:contribution_id>/<op>": Case(
        owner(), {"contribution_id": "{contribution}", "op": "correct"}, data={"text": "As corrected."}
    ),
    "POST /manage/<id:event_id>/record/audience/<id:question_id>/<op>": Case(
        owner(), {"question_id": "{approved}", "op": "taken"}
    ),
    # Not while the session runs; a second version needs a note (sent here every time).
    "POST /manage/<id:event_id>/record/publish": Case(owner(PUBLISHABLE), data={"correction_note": "Typo."}),
    "POST /manage/<id:event_id>/record/unpublish": Case(owner(ANY_RECORD), data=CONFIRMED),
    "POST /manage/<id:event_id>/record/comments": Case(owner(), data={"enabled": "true"}),
    # Comments exist only once a record was published.
    "POST /manage/<id:event_id>/record/comments/<id:comment_id>/<decision>": Case(
        owner(frozenset({Stage.PUBLISHED, Stage.UNPUBLISHED}), NOT_FOUND),
        {"comment_id": "{comment}", "decision": "hide"},
    ),
    # The archive: published records only, for everyone (the owner previews anything else)
    "GET /archive/": Case(everyone()),
    "GET /archive/search": Case(everyone(), query="q=Telegram"),
    "GET /archive/feed.atom": Case(everyone()),
    "GET /archive/<slug>": Case(RECORD),
    "GET /archive/<slug>.<any(md,txt,json,pdf,vtt,srt):fmt>": Case(RECORD, {"fmt": "md"}),
    "GET /archive/<slug>/panelists/<key>": Case(RECORD, {"key": "{panelist_key}"}),
    "GET /archive/<slug>/panelists/<key>.<any(md,txt,json,pdf,vtt,srt):fmt>": Case(
        RECORD, {"key": "{panelist_key}", "fmt": "txt"}
    ),
    "GET /archive/<slug>/versions": Case(RECORD),
    "GET /archive/<slug>/versions/<id:number>": Case(RECORD, {"number": "1"}),
    "GET /archive/<slug>/versions/<id:number>.<any(md,txt,json,pdf,vtt,srt):fmt>": Case(
        RECORD, {"number": "1", "fmt": "json"}
    ),
    "GET /archive/<slug>/versions/<id:number>/panelists/<key>": Case(
        RECORD, {"number": "1", "key": "{panelist_key}"}
    ),
    "GET /archive/<slug>/versions/<id:number>/panelists/<key>.<any(md,txt,json,pdf,vtt,srt):fmt>": Case(
        RECORD, {"number": "1", "key": "{panelist_key}", "fmt": "md"}
    ),
    "POST /archive/<slug>/comments": Case(
        reader(blocked=REFUSED),
        data={"anchor": "{anchor}", "text": "Well argued.", "client_id": "matrix-comment-1"},
    ),
    # A blocked member may not report, here as on the live board.
    "POST /archive/<slug>/comments/<id:comment_id>/report": Case(
        reader(blocked=REFUSED), {"comment_id": "{comment}"}, data={"client_id": "matrix-comment-report-1"}
    ),
}
