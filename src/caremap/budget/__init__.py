"""caremap.budget."""
