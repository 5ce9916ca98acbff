"""``python -m perf.bench``: see cli.py."""

import sys

from perf.bench.cli import main

sys.exit(main())
