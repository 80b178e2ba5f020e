"""caremap.core."""
