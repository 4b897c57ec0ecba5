"""Clients of the ATSs' own APIs, for the reconcile and for what a webhook leaves out.

Each reads through httpx on guarded connections (transport.py) with an overall deadline
per call and per connection per round (base.py), and turns what it reads into bodies in the
provider's webhook shape: the reconcile stores them in the inbox and the engine applies
them like any delivery. Nothing here writes to the database.
"""

from __future__ import annotations

from typing import Any

from heardback.bridges.clients.ashby import AshbyClient
from heardback.bridges.clients.base import ApiClient, Limits
from heardback.bridges.clients.greenhouse import GreenhouseClient
from heardback.bridges.clients.lever import LeverClient
from heardback.bridges.clients.workable import WorkableClient

CLIENTS: dict[str, type[GreenhouseClient | AshbyClient | WorkableClient | LeverClient]] = {
    "greenhouse": GreenhouseClient,
    "ashby": AshbyClient,
    "workable": WorkableClient,
    "lever": LeverClient,
}


def client_for(provider: str, credentials: dict[str, Any], *, limits: Limits) -> ApiClient:
    return CLIENTS[provider](credentials, limits=limits)
