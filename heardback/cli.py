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
    execute_from_command_line(["heardback", *args])


if __name__ == "__main__":
    main()
