#!/usr/bin/env python3
"""Markdown tables of scored runs (docs/alert-quality.md) and the plain-text
account of why a run did not pass.

    python3 scripts/alert_quality/report.py OUT_DIR [OUT_DIR ...]

prints the tables of saved runs (their score.json, from run.py --out).
"""

import json
import os
import sys


def _pct(x):
    return "%.0f%%" % (100.0 * x) if x == int(x) else "%.1f%%" % (100.0 * x)


def _busiest(per_channel):
    return ", ".join("%s %d" % (c, per_channel[c]["max"]) for c in sorted(per_channel)) or "-"


def _escalation(result, key):
    esc = result.get("escalation") or {}
    if not esc.get("enabled"):
        return "-"
    if key == "recall":
        return "%s (%d/%d)" % (_pct(esc["recall"]), esc["escalated"], esc["expected"])
    return "%s (%d)" % (_pct(esc["precision"]), esc["notifications"])


def summary_table(results):
    """One row per scored run (score.score results)."""
    lines = ["| Scenario | Seed | Incidents | Notifications (firing) | Recall | Precision "
             "| Escalation precision (escalations) | Escalation recall "
             "| Max notifications per incident alert per repeat interval "
             "| Max notifications per group per repeat interval | Resolutions sent/expected "
             "| Storms | Pass |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        res = r["resolutions"]
        lines.append("| %s | %s | %d | %d (%d) | %s | %s | %s | %s | %s | %s | %d/%d | %d | %s |" % (
            r["scenario"], r["seed"], r["incidents"]["injected"], r["notifications"]["total"],
            r["notifications"]["firing"], _pct(r["recall"]), _pct(r["precision"]),
            _escalation(r, "precision"), _escalation(r, "recall"),
            _busiest(r.get("max_per_incident_per_repeat") or {}),
            _busiest(r["max_per_group_per_repeat"]), res["sent"], res["expected"],
            len(r["storms"]), "yes" if r["pass"] else "**no**"))
    return "\n".join(lines)


def latency_table(result):
    """Per alert: injection -> first firing notification, simulated minutes
    (wall seconds)."""
    lines = ["| Alert | Incidents | Min | Median | Max |", "|---|---|---|---|---|"]
    for name, s in sorted(result["latency"].items()):
        cells = ["%.0f min (%.1f s)" % (s[k + "_sim_min"], s[k + "_s"])
                 for k in ("min", "median", "max")]
        lines.append("| %s | %d | %s |" % (name, s["n"], " | ".join(cells)))
    return "\n".join(lines)


def markdown(results):
    """The summary table, then one latency table per run."""
    parts = [summary_table(results)]
    for r in results:
        parts.append("Latency from injection to the first notification, %s seed %s "
                     "(simulated minutes at compression %g, wall seconds in brackets):"
                     % (r["scenario"], r["seed"], r["compression"]))
        parts.append(latency_table(r))
    return "\n\n".join(parts) + "\n"


def why(result):
    """Lines saying what made the run fail (empty when it passed)."""
    return list(result["reasons"])


def headline(result):
    return ("%s seed %s: recall %s (%d/%d incidents), precision %s (%d firing "
            "notifications), escalation precision %s recall %s, %d storm(s), %d repeated, "
            "resolutions %d/%d: %s" % (
                result["scenario"], result["seed"], _pct(result["recall"]),
                result["incidents"]["notified"], result["incidents"]["injected"],
                _pct(result["precision"]), result["notifications"]["firing"],
                _escalation(result, "precision"), _escalation(result, "recall"),
                len(result["storms"]), len(result.get("repeated") or []),
                result["resolutions"]["sent"],
                result["resolutions"]["expected"], "PASS" if result["pass"] else "FAIL"))


def main(argv=None):
    dirs = sys.argv[1:] if argv is None else argv
    if not dirs:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    results = []
    for directory in dirs:
        with open(os.path.join(directory, "score.json"), encoding="utf-8") as f:
            results.append(json.load(f))
    sys.stdout.write(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
