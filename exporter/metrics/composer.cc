#include "exporter/metrics/composer.h"

namespace pe {

Composer::Composer(std::shared_ptr<SnapshotStore> store)
    : store_(std::move(store)) {}

void Composer::Update(
    std::vector<std::pair<Source, std::vector<Snapshot::Part>>> updates) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [source, parts] : updates) {
    if (source == Source::kState) state_seen_ = true;
    parts_[static_cast<std::size_t>(source)] = std::move(parts);
  }
  PublishLocked();
}

void Composer::UpdateText(Source source, std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Snapshot::Part>& parts = parts_[static_cast<std::size_t>(source)];
  if (parts.size() == 1 && parts[0]->text() == text) return;
  parts.assign(1, MakePart(std::move(text)));
  if (source == Source::kState) state_seen_ = true;
  PublishLocked();
}

void Composer::PublishLocked() {
  if (!state_seen_) return;
  std::size_t count = 0;
  for (const auto& parts : parts_) count += parts.size();
  std::vector<Snapshot::Part> all;
  all.reserve(count);
  for (const auto& parts : parts_)
    all.insert(all.end(), parts.begin(), parts.end());
  store_->Publish(std::make_shared<const Snapshot>(std::move(all)));
}

}  // namespace pe
