"""Build the comparison's five images, push them to your registry, write the values for Helm.

    python3 deploy/images.py --registry myacr.azurecr.io --values images.yaml
    helm install bench deploy/helm -f images.yaml ...

The images are the four services (services/<name>/) and the load generator (loadtest/), each
built from its own folder's Dockerfile for linux/amd64 (AKS's nodes; `--platform` for others),
tagged with the git commit they were built from, so that a tag names one content, and pushed.
The values file pins each image by its registry digest as well (and MySQL's official image by
the digest its tag has today), so a node can never run anything else: the chart's pull policy
is then IfNotPresent. Builders:

- `docker` (default): `docker buildx build --push`, after `docker login` or `az acr login`;
- `acr`: `az acr build`, which builds in Azure with no local Docker, where the subscription
  allows ACR Tasks (free trials answer TasksOperationsNotAllowed: use `docker` there); MySQL's
  image is imported into the registry too (`az acr import`);
- `kind`: `docker buildx build --load`, then `kind load docker-image` into that cluster's nodes
  (no registry: `--registry` is only the images' name prefix).

Standard library only; `--dry-run` prints the commands instead of running them.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# name: build context, in the chart's report order; the chart's repositories are bench/<name>.
IMAGES = {
    "django": "services/django",
    "flask": "services/flask",
    "fastapi": "services/fastapi",
    "starlette": "services/starlette",
    "loadtest": "loadtest",
}
MYSQL_REPOSITORY = "library/mysql"
MYSQL_CHART = REPO / "deploy" / "helm" / "charts" / "mysql" / "Chart.yaml"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

Run = Callable[[Sequence[str]], str]


class ImagesError(RuntimeError):
    """A step failed, or the working tree cannot name what it would build."""


@dataclass(frozen=True)
class Built:
    """One pushed (or loaded) image."""

    name: str
    reference: str
    digest: str | None


def repository(name: str) -> str:
    return f"bench/{name}"


def mysql_tag() -> str:
    """The MySQL tag the chart deploys: its appVersion (the LTS line)."""
    match = re.search(r'^appVersion:\s*"?([^"\s]+)"?', MYSQL_CHART.read_text(), re.MULTILINE)
    if not match:
        raise ImagesError(f"no appVersion in {MYSQL_CHART}")
    return match.group(1)


def content_tag(run: Run, *, allow_dirty: bool) -> str:
    """The git commit (12 hex digits); with uncommitted changes in a build context, refuse, or
    with allow_dirty add a hash of the contexts' files, so that the tag still names a content."""
    commit = run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"]).strip()
    contexts = list(IMAGES.values())
    changes = run(["git", "-C", str(REPO), "status", "--porcelain", "--", *contexts]).strip()
    if not changes:
        return commit
    if not allow_dirty:
        raise ImagesError(
            "uncommitted changes in the images' folders; the tag must name what is built:"
            f" commit them, or pass --allow-dirty\n{changes}"
        )
    files = run(["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard", "--", *contexts])
    digest = hashlib.sha256()
    for path in sorted(files.split()):
        digest.update(path.encode() + b"\0")
        file = REPO / path
        digest.update(file.read_bytes() if file.is_file() else b"(deleted)")
    return f"{commit}-dirty-{digest.hexdigest()[:8]}"


def acr_name(registry: str) -> str:
    """myacr.azurecr.io -> myacr, the name `az acr` takes."""
    if not registry.endswith(".azurecr.io"):
        raise ImagesError(f"--builder acr needs <name>.azurecr.io, not {registry}")
    return registry.removesuffix(".azurecr.io")


def build(
    run: Run, *, builder: str, registry: str, tag: str, platform: str, kind_cluster: str
) -> list[Built]:
    """Build and push (or load) every image; return what the cluster will pull."""
    built = []
    for name, context in IMAGES.items():
        reference = f"{registry}/{repository(name)}:{tag}"
        folder = str(REPO / context)
        digest: str | None = None
        if builder == "acr":
            acr = acr_name(registry)
            run(["az", "acr", "build", "--registry", acr, "--image", f"{repository(name)}:{tag}",
                 "--platform", platform, folder])  # fmt: skip
            digest = _digest(run(["az", "acr", "repository", "show", "--name", acr,
                                  "--image", f"{repository(name)}:{tag}",
                                  "--query", "digest", "--output", "tsv"]))  # fmt: skip
        elif builder == "kind":
            run(["docker", "buildx", "build", "--platform", platform, "--tag", reference,
                 "--load", folder])  # fmt: skip
            run(["kind", "load", "docker-image", reference, "--name", kind_cluster])
        else:
            with tempfile.TemporaryDirectory() as scratch:
                metadata = Path(scratch) / "metadata.json"
                run(["docker", "buildx", "build", "--platform", platform, "--tag", reference,
                     "--push", "--metadata-file", str(metadata), folder])  # fmt: skip
                digest = _digest(_read(metadata))
        built.append(Built(name, reference, digest))
    return built


def mysql_image(run: Run, builder: str, registry: str) -> tuple[str | None, str]:
    """(registry when mirrored, digest) of the official MySQL image at the chart's tag."""
    tag = mysql_tag()
    source = f"docker.io/{MYSQL_REPOSITORY}:{tag}"
    if builder == "acr":
        acr = acr_name(registry)
        run(["az", "acr", "import", "--name", acr, "--source", source,
             "--image", f"{MYSQL_REPOSITORY}:{tag}", "--force"])  # fmt: skip
        shown = run(["az", "acr", "repository", "show", "--name", acr,
                     "--image", f"{MYSQL_REPOSITORY}:{tag}",
                     "--query", "digest", "--output", "tsv"])  # fmt: skip
        return registry, _digest(shown)
    manifest = run(["docker", "buildx", "imagetools", "inspect", source,
                    "--format", "{{json .Manifest}}"])  # fmt: skip
    return None, _digest(manifest)


def values_yaml(
    built: Sequence[Built],
    registry: str,
    tag: str,
    mysql: tuple[str | None, str],
    *,
    pull_policy: str = "",
    note: str = "",
) -> str:
    """The Helm values that deploy exactly these images (`helm install -f`)."""
    lines = [
        "# Written by deploy/images.py: the images it pushed, pinned by digest.",
        *(f"# {line}" for line in note.splitlines()),
        "global:",
        f"  imageRegistry: {json.dumps(registry)}",
        f"  imageTag: {json.dumps(tag)}",
    ]
    digests = [(image.name, image.digest) for image in built if image.digest]
    if digests:
        lines.append("  imageDigests:")
        lines += [f"    {name}: {json.dumps(digest)}" for name, digest in digests]
    if pull_policy:
        lines.append(f"  imagePullPolicy: {pull_policy}")
    mysql_registry, mysql_digest = mysql
    lines += ["mysql:", "  image:"]
    if mysql_registry:
        lines.append(f"    registry: {json.dumps(mysql_registry)}")
    lines.append(f"    digest: {json.dumps(mysql_digest)}")
    return "\n".join(lines) + "\n"


def _digest(text: str) -> str:
    match = DIGEST.search(text)
    if not match:
        raise ImagesError(f"no sha256 digest in: {text.strip()[:200]!r}")
    return match.group(0)


def _read(path: Path) -> str:
    if not path.is_file():
        raise ImagesError(f"{path} was not written (docker buildx build --metadata-file)")
    return path.read_text()


def run_command(command: Sequence[str]) -> str:
    """Run one step, its output shown as it goes; return its standard output."""
    print("+", shlex.join(command), file=sys.stderr, flush=True)
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    except FileNotFoundError as error:
        message = f"{command[0]} is not installed (deploy/helm/README.md, 'Images')"
        raise ImagesError(message) from error
    if result.returncode != 0:
        raise ImagesError(f"{shlex.join(command)} failed with exit code {result.returncode}")
    return result.stdout


def dry_run(command: Sequence[str]) -> str:
    """Print one step instead of running it; answer with a made-up digest."""
    print(shlex.join(command))
    if "--metadata-file" in command:
        path = Path(command[command.index("--metadata-file") + 1])
        path.write_text(json.dumps({"containerimage.digest": "sha256:" + "0" * 64}))
    return "sha256:" + "0" * 64


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 deploy/images.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--registry",
        required=True,
        help="registry host the images go to, e.g. myacr.azurecr.io (with --builder kind, any"
        " name prefix, e.g. bench.local)",
    )
    parser.add_argument("--builder", choices=["docker", "acr", "kind"], default="docker")
    parser.add_argument("--platform", default="linux/amd64", help="default: %(default)s (AKS)")
    parser.add_argument("--values", type=Path, help="write the Helm values to this file")
    parser.add_argument("--kind-cluster", default="kind", help="with --builder kind")
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="build uncommitted changes, tagged <commit>-dirty-<hash of the folders' files>",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run = dry_run if args.dry_run else run_command
    registry = args.registry.removesuffix("/")
    try:
        tag = content_tag(run_command, allow_dirty=args.allow_dirty)
        built = build(
            run,
            builder=args.builder,
            registry=registry,
            tag=tag,
            platform=args.platform,
            kind_cluster=args.kind_cluster,
        )
        mysql = mysql_image(run, args.builder, registry)
    except ImagesError as error:
        print(f"images: {error}", file=sys.stderr)
        return 1
    # timezone.utc, not datetime.UTC: this runs on the user's python3, 3.9 or later.
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()  # noqa: UP017
    values = values_yaml(
        built,
        registry,
        tag,
        mysql,
        pull_policy="IfNotPresent" if args.builder == "kind" else "",
        note=f"{today}, builder {args.builder}, {args.platform}; MySQL {mysql_tag()} as of then.",
    )
    if args.values:
        args.values.write_text(values)
        print(f"images: values written to {args.values}; install with -f {args.values}")
    else:
        print(values, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
