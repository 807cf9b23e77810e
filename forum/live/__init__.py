"""The live room. Services: who may enter (``admission``), the session and its questions
(``proceedings``), the floor and speaking times (``floor``), capturing contributions (``capture``), the
state row (``state``) and the snapshot each viewer gets (``snapshots``). Plumbing: the Socket.IO handlers,
the action table both doors share (``actions``), the after-commit broadcaster, the tally coalescer, the
live regions and the console, panelist and projector pages (``routes``)."""
