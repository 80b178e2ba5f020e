"""caremap.cli."""
