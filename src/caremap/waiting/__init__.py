"""caremap.waiting."""
