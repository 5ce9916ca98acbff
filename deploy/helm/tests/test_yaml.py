"""The YAML files `ct lint` checks pass yamllint with chart-testing's own rules.

ct (https://github.com/helm/chart-testing) runs yamllint with etc/lintconf.yaml on Chart.yaml
and the values files; the same rules here, on every chart and on services/*/values.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chartlib import CHART, SERVICES, SERVICES_DIR, SUBCHARTS
from yamllint import linter
from yamllint.config import YamlLintConfig

# chart-testing's etc/lintconf.yaml.
CT_LINTCONF = """
rules:
  braces:
    min-spaces-inside: 0
    max-spaces-inside: 0
    min-spaces-inside-empty: -1
    max-spaces-inside-empty: -1
  brackets:
    min-spaces-inside: 0
    max-spaces-inside: 0
    min-spaces-inside-empty: -1
    max-spaces-inside-empty: -1
  colons: {max-spaces-before: 0, max-spaces-after: 1}
  commas: {max-spaces-before: 0, min-spaces-after: 1, max-spaces-after: 1}
  comments: {require-starting-space: true, min-spaces-from-content: 2}
  document-end: disable
  document-start: disable
  empty-lines: {max: 2, max-start: 0, max-end: 0}
  hyphens: {max-spaces-after: 1}
  indentation: {spaces: consistent, indent-sequences: whatever, check-multi-line-strings: false}
  key-duplicates: enable
  line-length: disable
  new-line-at-end-of-file: enable
  new-lines: {type: unix}
  trailing-spaces: enable
  truthy: {level: warning}
"""
FILES = sorted(
    {
        *(
            chart / name
            for chart in (CHART, *SUBCHARTS.values())
            for name in ("Chart.yaml", "values.yaml")
        ),
        CHART / "values-aks.yaml",
        *(SERVICES_DIR / name / "values.yaml" for name in SERVICES),
    }
)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(CHART.parents[1])))
def test_yamllint(path: Path) -> None:
    config = YamlLintConfig(CT_LINTCONF)
    problems = list(linter.run(path.read_text(encoding="utf-8"), config, str(path)))
    assert not problems, "\n".join(f"{p.line}:{p.column} {p.rule}: {p.desc}" for p in problems)
