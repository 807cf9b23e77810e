"""Organizer event set-up: events, panel, agenda, invitation links."""
