"""Every alert's runbook answers the four questions of issue 11, in the order an on-call reads.

test_monitoring.py already pairs alerts and runbooks both ways and checks their runbook_url;
this adds the escalation, non-empty sections and their order.
"""

import re

import pytest

from tests.deploy.monitoring_support import RUNBOOKS, alerting_rules

# means, how to confirm, what to do, how to escalate
SECTIONS = ("## What it means", "## What to check", "## What to do", "## Escalate")
ALERTS = sorted({rule["alert"] for rule in alerting_rules()})


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^(## .+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


@pytest.mark.parametrize("alert", ALERTS)
def test_runbook_answers_the_four_questions_in_order(alert: str) -> None:
    text = (RUNBOOKS / f"{alert}.md").read_text()
    found = sections(text)
    assert list(found)[: len(SECTIONS)] == list(SECTIONS), f"{alert}: sections {list(found)}"
    empty = [heading for heading in SECTIONS if not found[heading]]
    assert not empty, f"{alert}: empty sections {empty}"


@pytest.mark.parametrize("alert", ALERTS)
def test_runbook_opens_with_the_alert_name_and_its_severity(alert: str) -> None:
    lines = (RUNBOOKS / f"{alert}.md").read_text().splitlines()
    assert lines[0] == f"# {alert}"
    severity = next(r["labels"]["severity"] for r in alerting_rules() if r["alert"] == alert)
    assert f"Severity: {severity}" in "\n".join(lines[:4]), f"{alert}: severity not stated"


def test_sections_helper_can_fail() -> None:
    # A runbook without an escalation section must not pass.
    found = sections(
        "# X\n\n## What it means\n\na\n\n## What to check\n\nb\n\n## What to do\n\nc\n"
    )
    assert list(found) != list(SECTIONS)
