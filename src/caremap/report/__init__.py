"""caremap.report."""
