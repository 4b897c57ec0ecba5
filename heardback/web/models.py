"""Two small tables for state every web process must share.

- `CacheEntry` is the table of Django's database cache (the default cache): declared as a
  model so a plain `migrate` creates it on every database, and so the test database is
  flushed with the rest. Only Django's DatabaseCache reads and writes it.
- `RateCount` holds the counters of rate limits and sign-in throttles when the default cache
  is the database: one atomic statement per count, exact across processes (see limits.py).
"""

from __future__ import annotations

from django.db import models


class CacheEntry(models.Model):
    # The columns Django's DatabaseCache expects (as `createcachetable` would create them).
    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "heardback_cache"

    def __str__(self) -> str:
        return self.cache_key


class RateCount(models.Model):
    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
