"""Every figure the README and docs state is listed in docs/CLAIMS.md, and nothing more.

A figure is a number with a unit (req/s, µs, ms, s, min, %, KiB/kB/MB/MiB/GB/GiB/TB) or a
price (USD, $). Each doc's figures, outside fenced code blocks (commands, configuration and
diagrams, which restate the prose), must appear in the first column of a claims table in
docs/CLAIMS.md, where its row says whether it was measured (with the command and the machine),
estimated (with the basis) or is a definition (a target, threshold or setting, with the file
that defines it). The comparison is on normalized text (no spaces, `USD` as `$`, no thousands
commas), so "266 MB" and "266MB" are the same figure.
"""

import re
from functools import cache
from pathlib import Path

import pytest

from testbed.tools import REPO

CLAIMS = REPO / "docs" / "CLAIMS.md"
NUMBER = r"\d+(?:[.,]\d+)*"
EN_DASH = "\u2013"  # written as a range in prose: 2\u20134
RANGE = rf"(?:\s?(?:-|{EN_DASH}|to)\s?{NUMBER})?"
UNITS = r"req/s|µs|ms|min|s|%|KiB|kB|KB|MiB|MB|GiB|GB|TB"
FIGURE = re.compile(
    rf"(?:(?:USD|\$)\s?{NUMBER}{RANGE})"  # prices
    rf"|(?:(?<![\w.\-]){NUMBER}{RANGE}\s?(?:{UNITS})(?![\w/]))"  # quantities with a unit
)
KINDS = ("measured", "estimate", "definition")
# Matches of the pattern that are not figures at all. Keep this short: anything that is a
# figure belongs in CLAIMS.md, whatever its kind.
NOT_FIGURES = {
    "500s": "HTTP 500 responses in the plural (runbooks), not seconds",
    "503s": "HTTP 503 responses in the plural (PERFORMANCE.md), not seconds",
}


def normalize(figure: str) -> str:
    figure = re.sub(r"\s+", "", figure).replace(EN_DASH, "-").replace("USD", "$")
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", figure)


def figures(text: str) -> set[str]:
    prose = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return {normalize(match) for match in FIGURE.findall(prose)}


def documents() -> list[Path]:
    docs = sorted((REPO / "docs").rglob("*.md"))
    return [REPO / "README.md", *(path for path in docs if path != CLAIMS)]


def claim_rows() -> list[list[str]]:
    rows = []
    for line in CLAIMS.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("figures", "") and set(cells[0]) != {"-"}:
            rows.append(cells)
    return rows


@cache
def claimed() -> frozenset[str]:
    return frozenset(figure for row in claim_rows() for figure in figures(row[0]))


@pytest.mark.parametrize("doc", documents(), ids=lambda path: str(path.relative_to(REPO)))
def test_every_figure_the_doc_states_is_claimed(doc: Path) -> None:
    missing = figures(doc.read_text()) - claimed() - set(NOT_FIGURES)
    assert not missing, (
        f"{doc.relative_to(REPO)} states {sorted(missing)}, not in docs/CLAIMS.md: add each to "
        "a row there (measured: command and machine; estimate: basis; definition: its file)"
    )


def test_every_claim_is_still_stated_somewhere() -> None:
    stated = set().union(*(figures(doc.read_text()) for doc in documents()))
    stale = claimed() - stated
    assert not stale, f"docs/CLAIMS.md lists {sorted(stale)}, which no document states any more"


def test_every_claim_row_says_what_kind_of_figure_it_is() -> None:
    rows = claim_rows()
    assert len(rows) > 10
    for figures_cell, kind, stated_in, source, *_ in rows:
        assert kind in KINDS, f"{figures_cell}: kind {kind!r} is not one of {KINDS}"
        assert stated_in and source, f"{figures_cell}: where it is stated and its source"
        if kind == "measured":
            assert "`" in source, f"{figures_cell}: a measured figure names its command"
            assert re.search(r"Debian 12|GitHub", source), f"{figures_cell}: and its machine"


def test_the_pattern_finds_figures_and_only_figures() -> None:
    text = (
        "266 MB in 39 s (1,425 req/s, p99 596 ms, 520 µs, 99.9 %, 25-39 s, USD 0.10 and "
        "$73.00); not v1.17.0, [5m], sha256, 3.12, 2026-11-26, kvapi-7s or 10/second\n"
        "```\nsleep 5 s in a code block\n```\n"
    )
    assert figures(text) == {
        "266MB",
        "39s",
        "1425req/s",
        "596ms",
        "520µs",
        "99.9%",
        "25-39s",
        "$0.10",
        "$73.00",
    }
