"""caremap.cli: the `caremap` command, built from `caremap.core.manifest` (see `main`)."""
