"""caremap.performance."""
