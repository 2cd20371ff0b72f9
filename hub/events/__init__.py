"""Events: one-off and recurring, with per-occurrence overrides, and their expanded occurrences."""
