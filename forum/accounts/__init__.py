"""Organizer accounts: sign-up, sign-in and sign-out (``routes``, ``forms``) over the account rules
(``accounts``: Argon2id passwords, normalised e-mail addresses, the sign-in rate limit)."""
