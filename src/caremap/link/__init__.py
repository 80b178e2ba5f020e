"""caremap.link."""
