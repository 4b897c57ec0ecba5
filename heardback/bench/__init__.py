"""Benchmarks that ship with the package: `heardback bench <name>` or
`python -m heardback.bench.<name>`. Read by a person, never asserted by pytest: timing on a
shared machine is too noisy for a test. They must not import from tests/, which an installed
copy does not have."""
