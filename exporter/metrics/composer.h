#ifndef PIPELINE_EXPORTER_METRICS_COMPOSER_H_
#define PIPELINE_EXPORTER_METRICS_COMPOSER_H_

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "exporter/metrics/snapshot.h"

namespace pe {

// The one owner of the /metrics body. Each source renders its own parts
// when its own data changes and hands them here; every hand-over publishes
// a new immutable snapshot that shares the other sources' parts, so a
// scrape only copies and a worker figure is served without waiting for a
// poll. Thread-safe: the poller, the worker's threads and the reloader
// update concurrently.
class Composer {
 public:
  // The sources, in the order of the body.
  enum class Source : std::size_t {
    kState,   // the poller: state data and exporter health
    kReload,  // configuration reloads
    kWorker,  // the completion worker
    kRuns,    // the poller: the per-run families
  };
  static constexpr std::size_t kSources = 4;

  explicit Composer(std::shared_ptr<SnapshotStore> store);
  Composer(const Composer&) = delete;
  Composer& operator=(const Composer&) = delete;

  // Replaces the parts of the sources named, at once (one snapshot shows
  // all of them or none), and publishes.
  void Update(
      std::vector<std::pair<Source, std::vector<Snapshot::Part>>> updates);
  // Replaces a source's text; publishes only if it differs from the text
  // the source handed over last.
  void UpdateText(Source source, std::string text);

  SnapshotStore& store() { return *store_; }

 private:
  void PublishLocked();

  const std::shared_ptr<SnapshotStore> store_;
  std::mutex mu_;
  std::array<std::vector<Snapshot::Part>, kSources> parts_;
  // Nothing is published before the poller's first parts: until then a
  // scrape gets the store's empty body, as before any poll.
  bool state_seen_ = false;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_COMPOSER_H_
