"""The inventory sync: every supported resource listed, described and seeded into the
inventory, and drift reported (`run.InventorySync`)."""
