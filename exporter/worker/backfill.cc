#include "exporter/worker/backfill.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pe {

double BackfillSince(double first_start, std::chrono::milliseconds window) {
  if (window >= kBackfillAll) return -std::numeric_limits<double>::infinity();
  if (window <= kBackfillNone) return first_start;
  return first_start - std::chrono::duration<double>(window).count();
}

BackfillPacer::BackfillPacer(double rate, double burst)
    : rate_(std::max(rate, 0.0)),
      burst_(std::max(burst, 1.0)),
      tokens_(burst_) {}

std::size_t BackfillPacer::Allowance(double now, std::size_t max) {
  if (rate_ <= 0) return max;
  if (started_ && now > last_) {
    tokens_ = std::min(burst_, tokens_ + (now - last_) * rate_);
  }
  if (!started_ || now > last_) last_ = now;
  started_ = true;
  return std::min(max, static_cast<std::size_t>(std::floor(tokens_)));
}

void BackfillPacer::Took(std::size_t n) {
  if (rate_ <= 0) return;
  tokens_ = std::max(0.0, tokens_ - static_cast<double>(n));
}

}  // namespace pe
