"""After the event: the record document (``record``), versions, publishing and unpublishing
(``publishing``), the organizer's corrections and the panelists' approvals (``review``), and their pages
(``routes``)."""
