"""Setting up an event before it happens: details, slugs, join codes and status (``events``), the panel
(``panel``), the ordered preset questions (``agenda``), invitation links (``invitations``,
``link_routes``), prepared answers and contribution revisions (``contributions``, ``portal_routes``) and
importing a published summary (``importer``). The organizer's pages are ``routes`` and ``forms``."""
