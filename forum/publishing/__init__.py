"""After the event: the organizer's review editor and publishing controls; panelists' approvals."""
