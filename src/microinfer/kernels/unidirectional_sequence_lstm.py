"""UNIDIRECTIONAL_SEQUENCE_LSTM: not implemented yet (no kernel is registered until it is)."""
