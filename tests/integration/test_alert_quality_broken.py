"""The alert-quality scorer fails a run whose rules are broken (issue 9).

A small scenario (2h30m simulated, 40 s of wall time: one failed run, one
partial run) is played through the real binaries twice with
scripts/alert_quality/run.py:
  - as shipped: it passes (so what fails below is the broken rules);
  - with two rules broken in the scaled copy (--rule-override):
    PipelineRunFailed made never to fire, and PipelineCompletionBacklogGrowing
    made to fire without any incident. The command exits 1 and names the
    unnotified failed run and the unexplained notifications; the partial
    run is still scored as notified.

Run by ctest as: python3 test_alert_quality_broken.py --binary PATH --source-dir DIR
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()
RUN = os.path.join(ARGS.source_dir, "scripts", "alert_quality", "run.py")

SCENARIO = """
name: broken
seed: 3
compression: 240
duration: 2h30m
recent_window: 30m
scrub_interval: 1h
projects: 2
runs_per_hour: 20
steps_per_run: 4
step_duration: {min: 2m, max: 6m}
start_delay: {min: 30s, max: 2m}
history: {runs_per_pair: 2, span: 20h}
incidents:
  - {kind: failed_run, at: 10m}
  - {kind: partial_run, at: 40m}
"""
NEVER_FIRES = 'PipelineRunFailed=pipeline_run_failure_info{state="never"} == 1'
FIRES_ALWAYS = "PipelineCompletionBacklogGrowing=pipeline_worker_backlog_runs >= 0"


class BrokenRuleTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-aq-broken-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.scenario = os.path.join(self.tmp, "broken.yml")
        with open(self.scenario, "w", encoding="utf-8") as f:
            f.write(SCENARIO)

    def run_scenario(self, name, *overrides):
        out = os.path.join(self.tmp, name)
        args = [sys.executable, RUN, "--scenario", self.scenario, "--binary", ARGS.binary,
                "--out", out]
        for override in overrides:
            args += ["--rule-override", override]
        result = subprocess.run(args, capture_output=True, text=True, timeout=280)
        with open(os.path.join(out, "score.json"), encoding="utf-8") as f:
            return result, json.load(f)

    def test_shipped_rules_pass_and_broken_rules_fail(self):
        result, score = self.run_scenario("shipped")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertTrue(score["pass"], score["reasons"])

        result, score = self.run_scenario("broken", NEVER_FIRES, FIRES_ALWAYS)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, output)
        self.assertFalse(score["pass"])

        # The failed run went unnotified, on every channel; the partial run
        # did not.
        kinds = {m["kind"]: m for m in score["missed"]}
        self.assertEqual(set(kinds), {"failed_run"}, score["missed"])
        self.assertEqual(kinds["failed_run"]["alertname"], "PipelineRunFailed")
        self.assertEqual(sorted(kinds["failed_run"]["missing_channels"]),
                         ["email", "slack", "webhook"])
        self.assertEqual(score["incidents"], {"injected": 2, "notified": 1, "not_injected": []})
        self.assertEqual(score["recall"], 0.5)
        run_id = kinds["failed_run"]["labels"]["run_id"]
        self.assertRegex(output, r"incident i\d+ \(failed_run\): PipelineRunFailed.*%s.*"
                                 r"not notified" % run_id)

        # Every unexplained notification is the rule that fires without cause.
        names = {a["labels"]["alertname"] for u in score["unexplained"] for a in u["alerts"]}
        self.assertEqual(names, {"PipelineCompletionBacklogGrowing"})
        self.assertLess(score["precision"], 1.0)
        self.assertEqual({u["channel"] for u in score["unexplained"]}, {"slack", "webhook"})
        self.assertIn("unexplained webhook notification", output)
        self.assertIn("PipelineCompletionBacklogGrowing", output)


if __name__ == "__main__":
    lib.main()
