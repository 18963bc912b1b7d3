"""PADV2: not implemented yet (no kernel is registered until it is)."""
