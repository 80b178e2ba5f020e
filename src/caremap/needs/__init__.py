"""caremap.needs."""
