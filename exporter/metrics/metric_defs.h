#ifndef PIPELINE_EXPORTER_METRICS_METRIC_DEFS_H_
#define PIPELINE_EXPORTER_METRICS_METRIC_DEFS_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

// The exporter's public API: every metric's name, type, help and labels,
// declared once. Collectors, the per-run renderer and the README's metrics
// reference are all built from these declarations.
namespace pe::metrics {

enum class Type { kGauge, kCounter, kHistogram };

struct Def {
  std::string_view name;
  Type type;
  std::string_view help;
  std::initializer_list<std::string_view> labels;
  std::string_view group;  // section of the metrics reference
};

// Runs and steps, from the state database.
extern const Def kRuns;
extern const Def kRunInfo;
extern const Def kRunStatus;
extern const Def kRunSteps;
extern const Def kTrackedSteps;
extern const Def kRunCreated;
extern const Def kRunStart;
extern const Def kRunEnd;
extern const Def kRunLastProgress;
extern const Def kRunFailureInfo;
extern const Def kRunsFinished;
extern const Def kRunDuration;
extern const Def kLastSuccess;
extern const Def kEvents;

// The exporter's own health.
extern const Def kBuildInfo;
extern const Def kStateUp;
extern const Def kStateCondition;
extern const Def kLastPollSuccess;
extern const Def kPollDuration;
extern const Def kPollErrors;
extern const Def kPolls;
extern const Def kResyncs;
extern const Def kTrackedRuns;
extern const Def kTrackedRunsDropped;
extern const Def kParseErrors;
extern const Def kKnownRuns;
extern const Def kExcludedRuns;
extern const Def kFamilyHidden;

// The completion worker (worker.enabled).
extern const Def kConfigReloads;
extern const Def kConfigLastReloadSuccessful;
extern const Def kConfigLastReloadSuccess;
extern const Def kWorkerBacklog;
extern const Def kWorkerMarkedComplete;
extern const Def kWorkerArchivesCreated;
extern const Def kWorkerArchiveFailures;
extern const Def kWorkerArchivesSkipped;
extern const Def kWorkerArchiveInputBytes;
extern const Def kWorkerArchiveOutputBytes;
extern const Def kWorkerArchiveDuration;
extern const Def kWorkerReportsGenerated;
extern const Def kWorkerReportFailures;
extern const Def kWorkerVolumeFree;
extern const Def kWorkerVolumeSize;
extern const Def kWorkerHeartbeat;
extern const Def kWorkerLastSuccess;
extern const Def kWorkerArchiveProgress;
extern const Def kWorkerArchivesInProgress;
extern const Def kWorkerIntegrityChecks;
extern const Def kWorkerArchivesByIntegrity;
extern const Def kWorkerRetainedBytes;
extern const Def kWorkerScrubOldestCheck;
extern const Def kWorkerRetentionRemoved;
extern const Def kWorkerRetentionKept;
extern const Def kWorkerWorktreesDeleted;
extern const Def kWorkerWorktreeDeleteFailures;
extern const Def kWorkerFirstStart;
extern const Def kWorkerBackfillRuns;
extern const Def kWorkerBackfillTaken;

// Every declaration, in exposition order.
const std::vector<const Def*>& AllDefs();

std::string_view TypeName(Type type);  // "gauge", "counter", "histogram"

// "# HELP ...\n# TYPE ...\n" for a family.
std::string Header(const Def& def);

// Markdown table of every metric, for the README's metrics reference.
std::string ReferenceMarkdown();

// Buckets of pipeline_run_duration_seconds and of the poll duration.
const std::vector<double>& RunDurationBuckets();
const std::vector<double>& PollDurationBuckets();
// Buckets of pipeline_worker_archive_duration_seconds.
const std::vector<double>& ArchiveDurationBuckets();

}  // namespace pe::metrics

#endif  // PIPELINE_EXPORTER_METRICS_METRIC_DEFS_H_
