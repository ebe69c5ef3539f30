"""Normalize: pure functions from one raw provider record to zero or more asset events."""
