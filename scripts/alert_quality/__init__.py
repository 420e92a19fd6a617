"""Alert quality on a simulated day (issue 9): the Python side.

A scenario (scenarios/*.yml) is played by `pipeline_exporter simulate
--scenario`, compressed in time by its factor F, through the real exporter,
Prometheus and Alertmanager; every notification reaching the local Slack,
email and webhook sinks is scored against the simulator's ground truth.

Modules, one job each:
  durations      Prometheus durations and numbers: parse, format, divide by F
  scale          the time-compressed copies of rules/ and alertmanager/,
                 derived mechanically from the shipped files
  stack          the flags and configuration of the exporter and Prometheus
                 for a run (scaled, clamped to the exporter's minimums)
  routing        a small model of Alertmanager's route tree
  notifications  raw sink records -> normalised notifications
  score          score(truth, notifications, timing): recall, precision,
                 storms, resolutions, latency (pure, no binaries)
  report         Markdown tables and the plain-text "why it failed"
  results        a run's saved files; scoring a saved run again
  processes      child processes that are always stopped
  observe        alert states in Prometheus and Alertmanager over a run
  run            the command line: runs a scenario end to end and scores it
  query          queries a saved run's Prometheus data (evidence)

    python3 scripts/alert_quality/run.py --scenario scenarios/short.yml \\
        --binary build/exporter/pipeline_exporter --seed 1 --out /tmp/aq

Design and results: docs/alert-quality.md.
"""
