"""Live configuration: the asset's configuration fetched from AWS after a change (explicit
describe calls, else Cloud Control), for the pipeline and for `eventstream inventory sync`."""
