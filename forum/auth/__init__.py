"""Organizer sign-up, sign-in and sign-out."""
