"""PRELU: not implemented yet (no kernel is registered until it is)."""
