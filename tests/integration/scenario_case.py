"""A scenario played through the real binaries must pass every score: the
assertions shared by the alert-quality tests of each scenario
(test_alert_quality.py, test_alert_quality_outages.py)."""

import os
import shutil
import sys
import tempfile
import time
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()
sys.path.insert(0, os.path.join(ARGS.source_dir, "scripts"))
from alert_quality import report  # noqa: E402
from alert_quality import run as aq_run  # noqa: E402


class ScenarioCase(unittest.TestCase):
    """Subclasses set SCENARIO (a path) and call run_seed(seed)."""

    SCENARIO = None
    MIN_INCIDENTS = 5

    def run_seed(self, seed):
        name = os.path.splitext(os.path.basename(self.SCENARIO))[0]
        out = tempfile.mkdtemp(prefix="pe-aq-%s-%d-" % (name, seed))
        started = time.time()
        result = aq_run.ScenarioRun(self.SCENARIO, ARGS.binary, out, seed=seed,
                                    log=lambda text: None).execute()
        print("\n%s (%.0f s)" % (report.headline(result), time.time() - started),
              file=sys.stderr)
        if result["pass"]:
            shutil.rmtree(out, ignore_errors=True)
        why = "results kept in %s\n%s" % (out, "\n".join(report.why(result)))
        self.assertEqual(result["incidents"]["not_injected"], [], why)
        self.assertEqual(result["missed"], [], why)
        self.assertEqual(result["recall"], 1.0, why)
        self.assertEqual(result["unexplained"], [], why)
        self.assertEqual(result["precision"], 1.0, why)
        self.assertEqual(result["storms"], [], why)
        self.assertEqual(result["repeated"], [], why)
        self.assertEqual(result["resolutions"]["missing"], [], why)
        self.assertEqual(result["resolutions"]["not_due"], [], why)
        escalation = result["escalation"]
        self.assertTrue(escalation["enabled"], why)
        self.assertEqual(escalation["precision"], 1.0, why)
        self.assertEqual(escalation["recall"], 1.0, why)
        self.assertEqual(escalation["repeated"], [], why)
        self.assertEqual(escalation["unresolved"], [], why)
        self.assertTrue(result["pass"], why)
        self.assertGreaterEqual(result["incidents"]["injected"], self.MIN_INCIDENTS)
        return result
