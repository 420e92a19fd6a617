"""A run's saved results: what run.py writes into its output directory, and
scoring a saved run again (after a change of the scorer):

  truth.json          the simulator's ground truth
  notifications.json  {"raw": what the sinks received, "normalised": ...}
  run.json            settings, timings, scaled values, the scaled
                      Alertmanager configuration and the rules' labels
  score.json          score.score's result; score.md its tables
  alert_states.json   observe.AlertStates' record
"""

import json
import os

from alert_quality import notifications, report, score


def _dump(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


def _load(out, name):
    with open(os.path.join(out, name), encoding="utf-8") as f:
        return json.load(f)


def _score(out, truth, raw, meta):
    """Normalises raw, scores it, writes score.json and score.md; returns
    (result, normalised notifications)."""
    normalised = notifications.normalise(raw, meta["am_config"], meta["rule_labels"])
    result = score.score(truth, normalised, meta["timing"])
    _dump(os.path.join(out, "score.json"), result)
    with open(os.path.join(out, "score.md"), "w", encoding="utf-8") as f:
        f.write(report.markdown([result]))
    return result, normalised


def save(out, truth, raw, meta, states):
    """Writes every file of a finished run into out; returns the score. What
    was recorded is written first: a run can be scored again (rescore) even
    if scoring it fails."""
    _dump(os.path.join(out, "truth.json"), truth)
    _dump(os.path.join(out, "notifications.json"), {"raw": raw})
    _dump(os.path.join(out, "run.json"), meta)
    _dump(os.path.join(out, "alert_states.json"), states)
    result, normalised = _score(out, truth, raw, meta)
    _dump(os.path.join(out, "notifications.json"), {"raw": raw, "normalised": normalised})
    return result


def rescore(out):
    """Scores the saved run in out again; rewrites score.json and score.md."""
    result, _ = _score(out, _load(out, "truth.json"), _load(out, "notifications.json")["raw"],
                       _load(out, "run.json"))
    return result
