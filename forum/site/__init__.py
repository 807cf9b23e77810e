"""Public pages that belong to no single feature: home page, short join links and health check."""
