"""caremap.standards."""
