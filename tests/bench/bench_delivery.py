"""The delivery benchmark now lives in the package (`heardback.bench.delivery`), so that
`heardback bench delivery` works from an installed copy without tests/. This module keeps
`python -m tests.bench.bench_delivery` working for old notes and scripts."""

from __future__ import annotations

import sys

from heardback.bench.delivery import main

if __name__ == "__main__":
    main(sys.argv[1:])
