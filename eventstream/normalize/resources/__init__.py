"""One module per AWS service family, each exporting `FAMILY`: its kinds and its call table."""
