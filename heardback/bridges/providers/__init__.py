"""One module per ATS: how its deliveries are signed, deduplicated and read."""

from __future__ import annotations

from heardback.bridges.providers import ashby, generic, greenhouse, lever, workable
from heardback.bridges.providers.base import ProviderAdapter

ADAPTERS: dict[str, ProviderAdapter] = {
    "greenhouse": greenhouse.ADAPTER,
    "ashby": ashby.ADAPTER,
    "workable": workable.ADAPTER,
    "lever": lever.ADAPTER,
    "generic": generic.ADAPTER,
}
