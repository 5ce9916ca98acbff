"""The micro-benchmark: ``python -m perf.bench`` (``nox -s perf``); format in perf/README.md."""
