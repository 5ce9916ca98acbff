"""``python -m perf.reconcile RUN``: the section "Why the blog said otherwise" of a bench run's
results folder (``results/<time>``: its ``loadtest-*.json`` and ``blog/``), printed."""

from __future__ import annotations

import sys
from pathlib import Path

from perf.reconcile import run
from perf.reconcile.analysis import reconcile
from perf.reconcile.markdown import render

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    templates = sorted(folder.glob("loadtest-*.json"))
    print("\n".join(render(reconcile(templates, folder / run.FOLDER))))
