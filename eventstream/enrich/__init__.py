"""Enrich: what needs state: the inventory (previous configuration) and JSON Patches."""
