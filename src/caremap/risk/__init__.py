"""caremap.risk."""
