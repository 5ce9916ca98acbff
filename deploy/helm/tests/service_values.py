"""Keep the umbrella chart's service blocks equal to ``services/<name>/values.yaml``.

Each service's Helm values live in one file, in its own folder. Helm reads a chart's defaults
only from inside the chart, so ``deploy/helm/values.yaml`` embeds each file under the service's
alias, between marker comments, as generated text (comments included). ``test_values_sync.py``
fails when a block differs from its source; this script rewrites the blocks:

    python deploy/helm/tests/service_values.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "deploy" / "helm"
UMBRELLA_VALUES = CHART / "values.yaml"
SERVICES_DIR = REPO / "services"
# The aliases of charts/service in Chart.yaml, in report order.
SERVICES = ("django", "flask", "fastapi", "starlette")
SCRIPT = "python deploy/helm/tests/service_values.py"


def source(name: str) -> Path:
    """The service's own values file."""
    return SERVICES_DIR / name / "values.yaml"


def block(name: str, text: str) -> str:
    """The umbrella's block for one service: its values file indented under its alias."""
    body = "".join(f"  {line}" if line.strip() else "\n" for line in text.splitlines(keepends=True))
    if body and not body.endswith("\n"):
        body += "\n"
    return (
        f"# >>> generated from services/{name}/values.yaml by `{SCRIPT}`: edit that file\n"
        f"{name}:{'' if body.strip() else ' {}'}\n"
        f"{body}"
        f"# <<< generated from services/{name}/values.yaml\n"
    )


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"^# >>> generated from services/{name}/values\.yaml.*?\n"
        rf"# <<< generated from services/{name}/values\.yaml\n",
        re.DOTALL | re.MULTILINE,
    )


def regenerate(umbrella: str) -> str:
    """``umbrella`` (the text of deploy/helm/values.yaml) with every block rebuilt."""
    for name in SERVICES:
        matches = list(_pattern(name).finditer(umbrella))
        if len(matches) != 1:
            raise ValueError(f"deploy/helm/values.yaml must hold exactly one block for {name}")
        generated = block(name, source(name).read_text(encoding="utf-8"))
        start, end = matches[0].span()
        umbrella = umbrella[:start] + generated + umbrella[end:]
    return umbrella


def main() -> int:
    current = UMBRELLA_VALUES.read_text(encoding="utf-8")
    updated = regenerate(current)
    if updated == current:
        print("deploy/helm/values.yaml is up to date")
    else:
        UMBRELLA_VALUES.write_text(updated, encoding="utf-8")
        print("deploy/helm/values.yaml: service blocks regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
