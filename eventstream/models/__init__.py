"""Boundary models: lenient for what providers send, strict for what EventStream emits."""
