"""Deploy a kustomize overlay with a given kvapi image, then follow its Argo Rollout.

    rollout.py render OVERLAY IMAGE   print the manifests of OVERLAY with the kvapi image IMAGE
    rollout.py apply OVERLAY IMAGE    apply them; print `namespace=` and `name=` of the Rollout
    rollout.py wait NAMESPACE NAME [--timeout SECONDS]

For a cluster that the caller reaches with kubectl: the e2e job of ci.yml (kind) and a person
with a dev cluster. The EKS environments are released through git instead (Argo CD pulls;
.github/scripts/release.py, docs/cicd.md), and nothing of CD runs kubectl.

IMAGE is `repository:tag` (the e2e job deploys the image it has just built and loaded into
kind) or `repository@sha256:...`. It is set through kustomize `images` in a throwaway
kustomization that wraps the overlay, so everything else the overlay does still applies, and
nothing in the repository is modified.

`wait` exits 0 once the new revision is fully promoted, and 1 when the rollout was aborted (a
failed canary analysis aborts it and sends all traffic back to the stable version), is degraded,
or has not finished within the timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

APP = "kvapi"
POLL_SECONDS = 10
MAX_CONSECUTIVE_ERRORS = 6

DONE, WAIT, FAILED = "done", "wait", "failed"

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ImageRef:
    name: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, ref: str) -> ImageRef:
        name, _, digest = ref.partition("@")
        tag = None
        # A colon in the last path segment is a tag; an earlier one is a registry port.
        if ":" in name.rsplit("/", 1)[-1]:
            name, tag = name.rsplit(":", 1)
        return cls(name, tag, digest or None)

    @property
    def is_app(self) -> bool:
        return self.name.rsplit("/", 1)[-1] == APP

    def rendered(self) -> str:
        """The reference as kustomize writes it: the digest wins over a tag."""
        return f"{self.name}@{self.digest}" if self.digest else f"{self.name}:{self.tag}"

    def replacing(self, old_name: str) -> dict[str, str]:
        """The kustomize `images` entry that turns `old_name` into this reference."""
        if self.digest:
            return {"name": old_name, "newName": self.name, "digest": self.digest}
        if self.tag:
            return {"name": old_name, "newName": self.name, "newTag": self.tag}
        raise ValueError(f"{self.name}: give a tag or a digest, never an implicit latest")


class KubectlError(RuntimeError):
    pass


def kubectl(*args: str, stdin: str | None = None) -> str:
    # kubectl from PATH on purpose: the runner's, or the one kind-action installed.
    result = subprocess.run(  # noqa: S603
        ["kubectl", *args],  # noqa: S607
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise KubectlError(f"kubectl {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def kustomize(directory: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(kubectl("kustomize", str(directory))) if doc]


def containers(doc: Manifest) -> list[Manifest]:
    pod = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [*pod.get("containers", []), *pod.get("initContainers", [])]


def app_images(docs: list[Manifest]) -> set[str]:
    return {
        c["image"] for doc in docs for c in containers(doc) if ImageRef.parse(c["image"]).is_app
    }


def app_rollout(docs: list[Manifest]) -> Manifest:
    rollouts = [
        doc
        for doc in docs
        if doc.get("kind") == "Rollout"
        and (app_images([doc]) or (doc.get("spec") or {}).get("workloadRef"))
    ]
    if len(rollouts) != 1:
        sys.exit(f"expected one {APP} Rollout in the overlay, found {len(rollouts)}")
    return rollouts[0]


def render(overlay: Path, image: ImageRef) -> list[Manifest]:
    current = {ImageRef.parse(ref).name for ref in app_images(kustomize(overlay))}
    if len(current) != 1:
        sys.exit(f"{overlay}: expected one {APP} image name, found {sorted(current) or 'none'}")
    with tempfile.TemporaryDirectory(prefix="kvapi-deploy-") as wrapper:
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            # kustomize accepts only a relative path to another kustomization.
            "resources": [os.path.relpath(overlay.resolve(), wrapper)],
            "images": [image.replacing(current.pop())],
        }
        (Path(wrapper) / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        docs = kustomize(Path(wrapper))
    if app_images(docs) != {image.rendered()}:
        sys.exit(
            f"the rendered {APP} images are {sorted(app_images(docs))}, not {image.rendered()}"
        )
    return docs


def verdict(rollout: Manifest) -> tuple[str, str]:
    """Where an Argo Rollout stands, from the fields of its status (argoproj.io/v1alpha1)."""
    status = rollout.get("status") or {}
    message = status.get("message", "")
    phase = status.get("phase", "")
    # First: until the controller has seen this spec, the status (an abort included) is the
    # previous revision's.
    if str(status.get("observedGeneration")) != str(rollout["metadata"].get("generation")):
        return WAIT, "the controller has not seen the new spec yet"
    if status.get("abort"):
        return FAILED, f"aborted, traffic back on the stable version: {message}"
    if phase == "Degraded":
        return FAILED, f"degraded: {message}"
    revision = status.get("currentPodHash")
    if phase == "Healthy" and revision and revision == status.get("stableRS"):
        return DONE, f"revision {revision} is stable and takes all traffic"
    weight = (status.get("canary") or {}).get("weights", {}).get("canary", {}).get("weight")
    step = status.get("currentStepIndex")
    return WAIT, f"{phase or 'Pending'} at step {step}, canary weight {weight}: {message}"


def wait(namespace: str, name: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    last = ""
    errors = 0
    while True:
        try:
            manifest = json.loads(kubectl("get", "rollout", name, "-n", namespace, "-o", "json"))
            errors = 0
        except KubectlError as error:
            # An API server hiccup must not fail a deployment that is going well.
            errors += 1
            if errors == MAX_CONSECUTIVE_ERRORS:
                raise
            print(error, file=sys.stderr)
            time.sleep(POLL_SECONDS)
            continue
        state, reason = verdict(manifest)
        if reason != last:
            print(f"rollout {namespace}/{name}: {reason}", flush=True)
            last = reason
        if state != WAIT:
            return 0 if state == DONE else 1
        if time.monotonic() > deadline:
            print(
                f"rollout {namespace}/{name}: not finished after {timeout:.0f} s", file=sys.stderr
            )
            return 1
        time.sleep(POLL_SECONDS)


def main() -> int:
    try:
        return run(parse_arguments())
    except KubectlError as error:
        print(error, file=sys.stderr)
        return 1


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("render", "apply"):
        sub = commands.add_parser(command)
        sub.add_argument("overlay", type=Path)
        sub.add_argument("image", type=ImageRef.parse)
    waiting = commands.add_parser("wait")
    waiting.add_argument("namespace")
    waiting.add_argument("name")
    waiting.add_argument("--timeout", type=float, default=1800)
    return parser.parse_args()


def run(args: argparse.Namespace) -> int:
    if args.command == "wait":
        return wait(args.namespace, args.name, args.timeout)
    docs = render(args.overlay, args.image)
    if args.command == "render":
        print(yaml.safe_dump_all(docs, sort_keys=False), end="")
        return 0
    manifests = yaml.safe_dump_all(docs, sort_keys=False)
    print(
        kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=manifests),
        file=sys.stderr,
    )
    rollout = app_rollout(docs)["metadata"]
    print(f"namespace={rollout.get('namespace', 'default')}\nname={rollout['name']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
