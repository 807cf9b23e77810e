"""The audience: anonymous identity and idempotent submissions (``identity``), asking, voting and
reporting (``asking``), stance polls (``polls``), exact counts (``tallies``), the moderators' decisions and
their log (``moderation``, ``moderation_log``, ``word_list``), what each viewer may see (``payloads``), the
retention purge (``retention``) and the public event page (``routes``)."""
