"""The service layer: every rule of the product lives here.

A service function takes the session, the acting identity and plain data; it checks permission,
changes the session and raises a :class:`forum.errors.DomainError` when it refuses. It never commits
and never emits — the request, socket or CLI boundary does that once.
"""
