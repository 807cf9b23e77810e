"""Public pages that belong to no single feature: the home page, short join links, the language switch and
the health check."""
