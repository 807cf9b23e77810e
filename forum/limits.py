"""How much people may type, defined once: services enforce these, forms and pages hint them.

Lengths are in characters (code points, as Python counts them). Every limit has a name of its own, even
where two happen to have the same value, so that changing one never changes another. This module is a
leaf: it imports nothing from the project, so anything may import it. Templates see it as ``limits``
(forum/web.py); the live regions get theirs through ``ui.limits`` (forum/live/regions.py).
"""

# Organizer accounts
ORGANIZER_NAME_MAX = 120
EMAIL_MAX = 254
PASSWORD_MIN = 10
PASSWORD_MAX = 200

# Events and their hosts
EVENT_TITLE_MAX = 200
SLUG_MAX = 80  # the event's web address name
EVENT_SUMMARY_MAX = 5000
VENUE_MAX = 200
URL_MAX = 500  # an event's online link, a host's website
HOST_NAME_MAX = 120
HOST_ABOUT_MAX = 5000
JOIN_CODE_MAX = 12  # what the audience may type as a join code

# Moderators, panelists and scribes
PARTICIPANT_NAME_MAX = 120
PARTICIPANT_SHORT_NAME_MAX = 60
PARTICIPANT_AFFILIATION_MAX = 200

# The agenda and what is said or written about it
AGENDA_QUESTION_MAX = 1000  # also a poll's question, which stands in for an agenda question
CONTRIBUTION_MAX = 20000  # an answer said or written, a moderator's prompt

# Polls
POLL_OPTION_MAX = 120
POLL_OPTION_COUNT_MAX = 8

# The audience and readers of the record
AUDIENCE_NAME_MAX = 60  # the name an audience question or a reader's comment is signed with
AUDIENCE_QUESTION_MAX = 500
REPORT_REASON_MAX = 200  # why an audience member reports a question
COMMENT_MAX = 2000  # a reader's comment on a published record
# Audience questions a public snapshot carries: the first this many by votes and the newest this many (with
# 1,600 questions a full board is 264 KB per phone). The rest come a page at a time (``board.page``).
BOARD_SNAPSHOT_QUESTIONS = 100

# Moderation
REJECTION_REASON_MAX = 500  # why a moderator rejects a question
WORD_LIST_MAX = 5000  # the whole word list, as typed
WORD_LIST_TERM_MAX = 80  # one term of it
WORD_LIST_TERM_COUNT_MAX = 500
REPORT_THRESHOLD_MAX = 1000  # reports that hide a question (the message about it names the number too)

# Publishing
CORRECTION_NOTE_MAX = 5000

# Captions (docs/captions.md)
CAPTION_TEXT_MAX = 2000  # one caption post's text, in characters
CAPTION_BODY_MAX = 16 * 1024  # one caption post's body, in bytes (text or JSON)
CAPTION_SPEAKER_MAX = 120  # a speaker's name as a caption source gives it
CAPTION_LANGUAGE_MAX = 35  # a BCP 47 tag such as ko-KR
