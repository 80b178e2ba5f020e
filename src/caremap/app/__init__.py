"""caremap.app."""
