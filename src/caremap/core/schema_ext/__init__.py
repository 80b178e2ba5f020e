"""Input tables added by capabilities (one module each, calling `caremap.core.schema.register`).

A module here declares the canonical tables that its capability's `synth` extension writes
and that `caremap ingest` accepts, e.g. ``surgical_hub_month`` for performance monitoring.
"""
