"""Render rules/kvapi-slo.yml: the SLI, error-budget and burn-rate rules of kvapi's two SLOs.

The shape is the one Sloth generates (Google SRE workbook, "Alerting on SLOs", multiwindow
multi-burn-rate, no `for:` since the short window already resets the alert): one SLI error
ratio per window, then a page alert when the 1h and 5m burn both exceed 14.4x or the 6h and
30m both exceed 6x, and a ticket alert when the 1d and 2h exceed 3x or the 3d and 6h exceed 1x.
Sixteen near-identical rules per SLO are generated, never typed.

    python observability/prometheus/slo_rules.py           # rewrite the file
    python observability/prometheus/slo_rules.py --check   # exit 1 when the file is stale
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

OUTPUT = Path(__file__).parent / "rules" / "kvapi-slo.yml"
RUNBOOKS = "https://github.com/kvapi-platform/kvapi/blob/main/docs/runbooks"

# Probe and scrape routes say nothing about what users get: kept out of every SLI.
API_ROUTES = 'job="kvapi",route!~"/metrics|/healthz|/readyz|/health"'
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
PERIOD = "30d"


@dataclass(frozen=True)
class Slo:
    name: str
    objective: float
    description: str
    errors: str  # PromQL of the bad-event rate, with $window to fill in
    total: str  # PromQL of the all-event rate, with $window to fill in


SLOS = (
    Slo(
        name="availability",
        objective=0.999,
        description="responses that are not 5xx",
        errors=f'sum(rate(http_requests_total{{{API_ROUTES},status=~"5.."}}[$window]))',
        total=f"sum(rate(http_requests_total{{{API_ROUTES}}}[$window]))",
    ),
    Slo(
        name="latency",
        objective=0.99,
        description="requests served in under 500 ms",
        errors=(
            f"(sum(rate(http_request_duration_seconds_count{{{API_ROUTES}}}[$window]))"
            f' - sum(rate(http_request_duration_seconds_bucket{{{API_ROUTES},le="0.5"}}[$window])))'
        ),
        total=f"sum(rate(http_request_duration_seconds_count{{{API_ROUTES}}}[$window]))",
    ),
)


@dataclass(frozen=True)
class BurnAlert:
    suffix: str
    severity: str
    # ((long window, short window, burn-rate factor), ...): fires when any pair is over.
    conditions: tuple[tuple[str, str, float], ...]
    meaning: str


BURN_ALERTS = (
    BurnAlert(
        suffix="ErrorBudgetBurnFast",
        severity="critical",
        conditions=(("1h", "5m", 14.4), ("6h", "30m", 6)),
        meaning="at this pace the whole 30-day error budget is gone in about 2 to 5 days",
    ),
    BurnAlert(
        suffix="ErrorBudgetBurnSlow",
        severity="warning",
        conditions=(("1d", "2h", 3), ("3d", "6h", 1)),
        meaning="at this pace the 30-day error budget runs out before the period ends",
    ),
)


def labels(slo: Slo, **extra: str) -> dict[str, str]:
    return {"service": "kvapi", "slo": slo.name, **extra}


def sli_rules(slo: Slo) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = [
        {
            "record": f"slo:sli_error:ratio_rate{window}",
            "expr": (
                f"({slo.errors.replace('$window', window)})\n/\n"
                f"({slo.total.replace('$window', window)})\n"
            ),
            "labels": labels(slo, window=window),
        }
        for window in WINDOWS
    ]
    # The 30-day ratio averages the 5m one, as Sloth does: a 30d rate() over raw counters
    # would load a month of samples at every evaluation.
    selector = f'slo:sli_error:ratio_rate5m{{service="kvapi",slo="{slo.name}"}}'
    rules.append(
        {
            "record": f"slo:sli_error:ratio_rate{PERIOD}",
            "expr": (
                f"sum_over_time({selector}[{PERIOD}])\n/ ignoring (window)\n"
                f"count_over_time({selector}[{PERIOD}])\n"
            ),
            "labels": labels(slo, window=PERIOD),
        }
    )
    return rules


def budget_rules(slo: Slo) -> list[dict[str, object]]:
    budget = round(1 - slo.objective, 6)
    sel = f'{{service="kvapi",slo="{slo.name}"}}'
    return [
        {
            "record": "slo:objective:ratio",
            "expr": f"vector({slo.objective})",
            "labels": labels(slo),
        },
        {"record": "slo:error_budget:ratio", "expr": f"vector({budget})", "labels": labels(slo)},
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": (
                f"slo:sli_error:ratio_rate5m{sel}\n/ ignoring (window)\n"
                f"slo:error_budget:ratio{sel}\n"
            ),
            "labels": labels(slo),
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": (
                f"1 - slo:sli_error:ratio_rate{PERIOD}{sel}\n/ ignoring (window)\n"
                f"slo:error_budget:ratio{sel}\n"
            ),
            "labels": labels(slo),
        },
    ]


def burn_alert(slo: Slo, alert: BurnAlert) -> dict[str, object]:
    budget = round(1 - slo.objective, 6)
    sel = f'{{service="kvapi",slo="{slo.name}"}}'
    pairs = [
        f"(\n  slo:sli_error:ratio_rate{long}{sel} > ({factor} * {budget})\n"
        f"  and ignoring (window)\n"
        f"  slo:sli_error:ratio_rate{short}{sel} > ({factor} * {budget})\n)"
        for long, short, factor in alert.conditions
    ]
    name = f"Kvapi{slo.name.capitalize()}{alert.suffix}"
    windows = " or ".join(
        f"{long}/{short} above {factor}x" for long, short, factor in alert.conditions
    )
    return {
        "alert": name,
        "expr": "\nor ignoring (window)\n".join(pairs) + "\n",
        "labels": {
            "severity": alert.severity,
            "service": "kvapi",
            "component": "api",
            "slo": slo.name,
        },
        "annotations": {
            "summary": f"kvapi is burning its {slo.name} error budget ({windows})",
            "description": (
                f"SLO: {slo.objective:.1%} of {slo.description} over {PERIOD}. "
                "The error ratio over the long window is {{ $value | humanizePercentage }}"
                f" against a budget of {budget:.1%}; {alert.meaning}."
            ),
            "runbook_url": f"{RUNBOOKS}/{name}.md",
        },
    }


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line PromQL as `|` blocks, the way a person would."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_LiteralDumper.add_representer(str, _str)


def render() -> str:
    # One group per SLO: rules of a group run in order, so the alerts always read the ratios
    # of the same evaluation (groups themselves run in no fixed order).
    groups = [
        {
            "name": f"kvapi-slo-{slo.name}",
            "rules": sli_rules(slo)
            + budget_rules(slo)
            + [burn_alert(slo, alert) for alert in BURN_ALERTS],
        }
        for slo in SLOS
    ]
    header = "# Generated by observability/prometheus/slo_rules.py (make slo-rules): do not edit.\n"
    return header + yaml.dump({"groups": groups}, Dumper=_LiteralDumper, sort_keys=False, width=120)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run make slo-rules", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
