"""The benchmarks' throwaway database: set up like the test suite's, named per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch_database(label: str, *, postgresql_only: str = "") -> Iterator[str]:
    """Set Django up on a fresh, migrated database of this run's own (a file in `var/` on
    SQLite, a database on the PostgreSQL server in DATABASE_URL), drop it afterwards; yields
    the vendor. `postgresql_only`: refuse SQLite with this explanation."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heardback.settings")
    os.environ.setdefault("HEARDBACK_ENV", "test")
    import django
    from django.conf import settings

    django.setup()
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    db = connections["default"].settings_dict
    sqlite = db["ENGINE"].endswith("sqlite3")
    if postgresql_only and sqlite:
        raise SystemExit(postgresql_only)
    # Per process: two benchmarks on one machine never share (or drop) each other's.
    name = f"test_heardback_bench_{label}_{os.getpid()}"
    db.setdefault("TEST", {})["NAME"] = (
        str(settings.VAR_DIR / f"{name}.sqlite3") if sqlite else name
    )
    settings.DEBUG = False  # never keep a log of every query while timing
    # No serialized copy of the database: nothing here needs one, and it costs a full read.
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        yield str(settings.DATABASE_VENDOR)
    finally:
        teardown_databases(old_config, verbosity=0)
