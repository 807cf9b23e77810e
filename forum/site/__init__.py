"""Public pages that belong to no single feature: home page and health check."""
