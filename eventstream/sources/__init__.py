"""Sources: read raw provider records and hand them on, each with where it came from."""
