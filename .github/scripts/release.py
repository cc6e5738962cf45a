"""Release an image to an environment through git, then wait for Argo CD's verdict.

    release.py pin OVERLAY IMAGE@DIGEST
        write DIGEST into OVERLAY/kustomization.yaml (`images:` entry of IMAGE); prints
        `changed=true|false` for $GITHUB_OUTPUT
    release.py await SHA OVERLAY [--timeout SECONDS]
        wait until Argo CD reports the sync and health of OVERLAY as a commit status (context
        `argocd: OVERLAY`, deploy/gitops/argocd/values.yaml) on SHA or a later commit of main;
        exits 0 on success, 1 on failure or timeout

cd.yml runs `pin` only after `cosign verify` has accepted the signature of IMAGE@DIGEST, and
commits the result to main; Argo CD in the environment's cluster pulls it. Nothing here talks
to the cluster: it is private, and CD holds no credentials for it.

`await` reads the GitHub REST API with $GITHUB_TOKEN ($GITHUB_API_URL, $GITHUB_REPOSITORY, as
set on GitHub runners). Only the standard library: the release jobs do not install the project.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
POLL_SECONDS = 15
# How far back in main's history the commit of this release may be when Argo CD reports.
HISTORY = 50
SUCCESS, FAILED, WAIT = "success", "failed", "wait"


@dataclass(frozen=True)
class Image:
    name: str
    digest: str

    @classmethod
    def parse(cls, reference: str) -> Image:
        name, _, digest = reference.partition("@")
        if not DIGEST.match(digest):
            raise SystemExit(f"{reference}: give the image as repository@sha256:<64 hex digits>")
        return cls(name, digest)


def pinned(text: str, image: Image) -> str:
    """The kustomization with IMAGE's `images:` entry set to its digest; comments kept."""
    entry = re.compile(
        rf"(^[ \t]*-[ \t]+name:[ \t]+{re.escape(image.name)}[ \t]*\n[ \t]+digest:[ \t]+)"
        r"sha256:[0-9a-f]{64}[ \t]*$",
        re.MULTILINE,
    )
    result, count = entry.subn(lambda match: match.group(1) + image.digest, text)
    if count != 1:
        names = re.findall(
            r"^[ \t]*-[ \t]+name:[ \t]+(\S+)[ \t]*\n[ \t]+digest:", text, re.MULTILINE
        )
        raise SystemExit(
            f"expected one `images:` entry `name: {image.name}` followed by `digest:`, "
            f"found {count} (entries by digest: {names or 'none'})"
        )
    return result


def pin(overlay: Path, image: Image) -> bool:
    path = overlay / "kustomization.yaml"
    before = path.read_text()
    after = pinned(before, image)
    path.write_text(after)
    return after != before


def status_context(overlay: str) -> str:
    """The commit status context Argo CD notifications write for the Application of OVERLAY."""
    return f"argocd: {overlay.rstrip('/')}"


def verdict(
    history: list[str], sha: str, statuses: Callable[[str], list[dict[str, str]]], context: str
) -> tuple[str, str]:
    """Argo CD's newest report for CONTEXT on SHA or a later commit.

    HISTORY is main's commits, newest first. Argo CD syncs the newest commit of main, which may
    be later than ours (it still carries our digest unless a later release replaced it).
    """
    if sha not in history:
        return FAILED, f"{sha} is not among the last {len(history)} commits of main"
    for commit in history[: history.index(sha) + 1]:
        reports = [status for status in statuses(commit) if status.get("context") == context]
        if not reports:
            continue
        state = reports[0]["state"]  # the API lists a commit's statuses newest first
        where = "this release's commit" if commit == sha else f"the later commit {commit[:12]}"
        message = f"{state} on {where}: {reports[0].get('description', '')}"
        if state == "success":
            return SUCCESS, message
        if state in {"failure", "error"}:
            return FAILED, message
        return WAIT, message
    return WAIT, f"no `{context}` status yet on {sha[:12]} or later"


def github(path: str) -> list[dict[str, str]]:
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    request = urllib.request.Request(  # noqa: S310 - the GitHub API over https
        f"{api}{path}",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        result: list[dict[str, str]] = json.load(response)
        return result


def await_status(sha: str, overlay: str, timeout: float) -> int:
    repository = os.environ["GITHUB_REPOSITORY"]
    context = status_context(overlay)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        history = [
            commit["sha"]
            for commit in github(f"/repos/{repository}/commits?sha=main&per_page={HISTORY}")
        ]
        state, message = verdict(
            history,
            sha,
            lambda commit: github(f"/repos/{repository}/commits/{commit}/statuses?per_page=100"),
            context,
        )
        if message != last:
            print(f"{context}: {message}", flush=True)
            last = message
        if state != WAIT:
            return 0 if state == SUCCESS else 1
        if time.monotonic() > deadline:
            print(f"{context}: no verdict after {timeout:.0f} s", file=sys.stderr)
            return 1
        time.sleep(POLL_SECONDS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pinning = commands.add_parser("pin")
    pinning.add_argument("overlay", type=Path)
    pinning.add_argument("image", type=Image.parse)
    waiting = commands.add_parser("await")
    waiting.add_argument("sha")
    waiting.add_argument("overlay")
    waiting.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    if args.command == "pin":
        print(f"changed={'true' if pin(args.overlay, args.image) else 'false'}")
        return 0
    return await_status(args.sha, args.overlay, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
