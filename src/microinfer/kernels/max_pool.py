"""MAX_POOL_2D: not implemented yet (no kernel is registered until it is)."""
