"""Alert quality (issue 21): scenarios/outages.yml, seeds 1 and 2, through
the real binaries (about 150 s each): database outages of 1 and 3 hours
while runs run, a critical alert that resolves and fires again within 10
minutes, and escalation. Every score must pass (scenario_case.py): no
per-run alert from the exporter's frozen view, each outage notified once, the
3-hour outage escalated once 2 hours after its alert fired (not earlier, as
an Alertmanager group left by the earlier outage would), nothing shorter
escalated.

Run by ctest as: python3 test_alert_quality_outages.py --binary PATH --source-dir DIR
"""

import os

import pe_testlib as lib
import scenario_case

ARGS = lib.parse_args()


class OutagesScenarioTest(scenario_case.ScenarioCase):
    SCENARIO = os.path.join(ARGS.source_dir, "scenarios", "outages.yml")

    def test_seed_1(self):
        result = self.run_seed(1)
        self.assertEqual(result["escalation"]["expected"], 1)

    def test_seed_2(self):
        result = self.run_seed(2)
        self.assertEqual(result["escalation"]["expected"], 1)


if __name__ == "__main__":
    lib.main()
