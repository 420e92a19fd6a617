"""The alerts shared by rules/ and alertmanager/ (names, severities): the
one table both test_rules.py and test_alertmanager.py check against."""

# Alert name -> severity.
CONTRACT_ALERTS = {
    "PipelineRunFailed": "critical",
    "PipelineRunPartial": "warning",
    "PipelineRunStalled": "warning",
    "PipelineRunNotStarted": "warning",
    "PipelineStepFailuresElevated": "warning",
    "PipelineNoRecentSuccess": "warning",
    "PipelineArchivalFailing": "warning",
    "PipelineArchiveIntegrityFailed": "critical",
    "PipelineCompletionBacklogGrowing": "warning",
    "PipelineWorkerHeartbeatStale": "critical",
    "PipelineArchiveStorageLow": "warning",
    "PipelineArchiveStorageFillingUp": "warning",
    "PipelineExporterDown": "critical",
    "PipelineExporterAbsent": "critical",
    "PipelineStateDatabaseUnreadable": "critical",
    "PipelineStateStale": "critical",
    "PipelineAlertEscalated": "critical",
}
