"""``python -m loadtest``: the command-line entry point."""

from loadtest.cli import main

raise SystemExit(main())
