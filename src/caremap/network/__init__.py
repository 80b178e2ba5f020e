"""caremap.network."""
