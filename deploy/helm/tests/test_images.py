"""deploy/images.py: the five images built and pushed, and values that deploy exactly them.

Docker cannot run here: a stand-in `docker` on PATH records each call and answers as buildx
does (the metadata file with the pushed digest, the manifest of MySQL's tag). The script's
own code runs unchanged, git included.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Sequence
from pathlib import Path

import helm_python as helm
import pytest
from chartlib import CHART, RUN, containers, merge, render, workloads

from deploy import images as image_script

FAKE_DOCKER = r"""#!/usr/bin/env python3
import hashlib, json, os, sys
args = sys.argv[1:]
with open(os.environ["DOCKER_CALLS"], "a") as calls:
    calls.write(json.dumps(args) + "\n")
digest = "sha256:" + hashlib.sha256(" ".join(args[:-1]).encode()).hexdigest()
if "--metadata-file" in args:
    with open(args[args.index("--metadata-file") + 1], "w") as out:
        json.dump({"containerimage.digest": digest}, out)
elif args[:2] == ["buildx", "imagetools"]:
    print(json.dumps({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest}))
"""


def test_the_values_deploy_exactly_the_pushed_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker = tmp_path / "bin" / "docker"
    docker.parent.mkdir()
    docker.write_text(FAKE_DOCKER)
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{docker.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_CALLS", str(tmp_path / "calls"))
    values_file = tmp_path / "images.yaml"

    code = image_script.main(
        ["--registry", "myacr.azurecr.io", "--values", str(values_file), "--allow-dirty"]
    )
    assert code == 0
    calls = [json.loads(line) for line in (tmp_path / "calls").read_text().splitlines()]
    builds = [call for call in calls if call[:2] == ["buildx", "build"]]
    assert [call[-1] for call in builds] == [
        str(image_script.REPO / context) for context in image_script.IMAGES.values()
    ]
    tag = image_script.content_tag(image_script.run_command, allow_dirty=True)
    pushed = {}
    for call in builds:
        assert call[call.index("--platform") + 1] == "linux/amd64"
        assert "--push" in call
        reference = call[call.index("--tag") + 1]
        assert reference.endswith(f":{tag}")
        pushed[reference] = "sha256:" + hashlib.sha256(" ".join(call[:-1]).encode()).hexdigest()

    values = helm.values_from_yaml(values_file.read_text())
    items = render(CHART, merge(values, RUN))
    images = {
        container["image"]: container["imagePullPolicy"]
        for _, spec in workloads(items)
        for _, container in containers(spec)
    }
    expected = {f"{reference}@{digest}" for reference, digest in pushed.items()}
    project = {image for image in images if "/bench/" in image}
    assert project == expected
    (mysql,) = set(images) - project
    assert mysql.startswith(f"docker.io/library/mysql:{image_script.mysql_tag()}@sha256:")
    assert set(images.values()) == {"IfNotPresent"}


def test_uncommitted_changes_are_refused_without_allow_dirty(tmp_path: Path) -> None:
    """A tag must name one content: a dirty build context is refused, or hashed in."""

    def git(command: Sequence[str]) -> str:
        if "rev-parse" in command:
            return "0123456789ab\n"
        if "status" in command:
            return " M services/flask/app/views.py\n"
        return "services/flask/Dockerfile\n"

    with pytest.raises(image_script.ImagesError, match="uncommitted changes"):
        image_script.content_tag(git, allow_dirty=False)
    tag = image_script.content_tag(git, allow_dirty=True)
    assert tag.startswith("0123456789ab-dirty-")
    assert image_script.content_tag(lambda c: "" if "status" in c else "abc\n", allow_dirty=False)


def test_acr_needs_an_azure_registry() -> None:
    with pytest.raises(image_script.ImagesError, match=r"azurecr\.io"):
        image_script.acr_name("registry.example.com")
    assert image_script.acr_name("myacr.azurecr.io") == "myacr"
