"""Bridges: Heardback as the no-ghost layer on top of the ATS an employer already uses.

An ATS (Greenhouse, Ashby, Workable, Lever, or any other through the generic bridge) posts
its events to a connection's endpoint. The endpoint verifies the signature over the raw
bytes, stores the event in an inbox and answers at once; an engine step turns each stored
event into the same service calls the console makes — acknowledgement with a dated
promise, stage updates, the kind decline, the close-out — idempotently and in the ATS's own
order, so duplicates and late arrivals change nothing.
"""
