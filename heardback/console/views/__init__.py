"""Console views, one module per domain. Thin: they check access, parse input and call the
services and selectors; every object is looked up through `heardback.console.access`."""
