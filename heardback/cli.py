"""`heardback <command>`: the project's management commands, with dashes allowed.

heardback run            web + delivery worker (+ scheduler, + dev mailbox) together
heardback worker         the delivery worker
heardback demo           load the demo org
heardback check-silence  prove the max-silence invariant over the whole database
heardback <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heardback.settings")
    from django.core.management import execute_from_command_line

    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    if args and args[0] == "simulate":
        _use_simulation_database(args)
    execute_from_command_line(["heardback", *args])


def _use_simulation_database(args: list[str]) -> None:
    """The simulator creates thousands of people: never in the real database by accident.

    It runs in a fresh scratch SQLite file unless --database-url names a database.
    """
    from pathlib import Path

    url = ""
    for index, arg in enumerate(args):
        if arg.startswith("--database-url="):
            url = arg.split("=", 1)[1]
        elif arg == "--database-url" and index + 1 < len(args):
            url = args[index + 1]
    if not url:
        var_dir = Path(
            os.environ.get("HEARDBACK_VAR_DIR", Path(__file__).resolve().parent.parent / "var")
        )
        var_dir.mkdir(parents=True, exist_ok=True)
        scratch = var_dir / "simulation.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{scratch}"
    os.environ["DATABASE_URL"] = url


if __name__ == "__main__":
    main()
