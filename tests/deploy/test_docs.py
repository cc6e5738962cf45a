"""The README and docs stay true to the code: settings, make targets, links."""

import re
from pathlib import Path

import pytest

from kvapi.settings import Settings
from testbed.tools import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
# Read by the service outside Settings (app.py and kvapi serve), so listed by hand.
EXTRA_SETTINGS = {"KVAPI_COMMIT", "OTEL_EXPORTER_OTLP_ENDPOINT", "PROMETHEUS_MULTIPROC_DIR"}
SETTING_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|", re.MULTILINE)
LINK_TARGETS = re.compile(r"\]\(([^)#\s]+)")
LINK = re.compile(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)")


def readme_settings() -> dict[str, str]:
    return {name: cell.strip() for name, cell in SETTING_ROW.findall(README.read_text())}


def documented_default(value: object) -> str | None:
    """How the README writes a default, or None when it is described in words."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float) or (isinstance(value, str) and value):
        return f"`{value}`"
    return None


def test_readme_lists_every_setting_once() -> None:
    names = [name for name, _ in SETTING_ROW.findall(README.read_text())]
    wanted = {f"KVAPI_{field.upper()}" for field in Settings.model_fields} | EXTRA_SETTINGS
    assert sorted(names) == sorted(wanted)


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_readme_states_the_default_of(field: str) -> None:
    expected = documented_default(Settings.model_fields[field].default)
    cell = readme_settings()[f"KVAPI_{field.upper()}"]
    if expected is None:  # unset, empty or computed: words, never a number that could drift
        assert not re.search(r"`[0-9]", cell), cell
    else:
        assert cell == expected


def test_readme_lists_every_make_target() -> None:
    targets = re.findall(r"^([a-z0-9-]+):.*## ", (REPO / "Makefile").read_text(), re.MULTILINE)
    listed = re.findall(r"^\| `make ([a-z0-9-]+)` \|", README.read_text(), re.MULTILINE)
    assert sorted(listed) == sorted(targets)


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def without_code_blocks(path: Path) -> str:
    return re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", without_code_blocks(path), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_and_anchors_resolve(doc: Path) -> None:
    broken = []
    for target, anchor in LINK.findall(without_code_blocks(doc)):
        if "://" in target or target.startswith("mailto:"):
            continue
        path = (doc.parent / target) if target else doc
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}#{anchor}")
    assert not broken, f"{doc.relative_to(REPO)}: broken links {broken}"


def test_adr_index_lists_every_record() -> None:
    index = (DOCS / "adr" / "README.md").read_text()
    records = {path.name for path in (DOCS / "adr").glob("[0-9][0-9][0-9][0-9]-*.md")}
    assert records <= set(LINK_TARGETS.findall(index))
