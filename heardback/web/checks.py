"""Start-up checks for the shared cache the limits count in."""

from __future__ import annotations

import importlib.util
from typing import Any, cast

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def redis_client_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """CACHE_URL=redis://… needs the `redis` package, which Heardback doesn't install: say so
    at start-up (`migrate`, `check`), not as a 500 on the first rate-limited request."""
    caches = cast(dict[str, dict[str, Any]], settings.CACHES)
    backend = str(caches.get("default", {}).get("BACKEND", ""))
    if not backend.endswith(".RedisCache") or importlib.util.find_spec("redis") is not None:
        return []
    return [
        Error(
            "CACHE_URL points at Redis, but the `redis` package is not installed.",
            hint="Install it into the virtualenv after bin/setup (which syncs to the lock "
            "file), or unset CACHE_URL to keep the cache and the counters in the database.",
            id="heardback.web.E001",
        )
    ]
