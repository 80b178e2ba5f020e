"""caremap.synth."""
