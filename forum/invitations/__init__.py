"""The participant portal reached through a personal invitation link (no account needed)."""
