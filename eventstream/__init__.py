"""EventStream: one clean stream of asset changes from a cloud account's audit trail."""

__version__ = "0.1.0"
