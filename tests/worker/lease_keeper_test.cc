#include "exporter/worker/lease_keeper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace pe {
namespace {

using std::chrono::milliseconds;

TEST(LeaseKeeperTest, RenewsEveryPeriodUntilDestroyed) {
  std::atomic<int> renewals{0};
  {
    LeaseKeeper keeper(milliseconds(1), [&] { ++renewals; });
    // Waits for the keeper's own thread: a real wait, bounded.
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
    while (renewals.load() < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }
  const int at_destruction = renewals.load();
  EXPECT_GE(at_destruction, 3);
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(renewals.load(), at_destruction) << "renewed after destruction";
}

TEST(LeaseKeeperTest, DestroyedBeforeItsFirstPeriodNeverRenews) {
  std::atomic<int> renewals{0};
  {
    LeaseKeeper keeper(std::chrono::hours(1), [&] { ++renewals; });
  }
  EXPECT_EQ(renewals.load(), 0);
}

TEST(LeaseKeeperTest, DestructionWaitsForARenewalInProgress) {
  std::atomic<bool> in_renewal{false};
  std::atomic<bool> finished{false};
  {
    LeaseKeeper keeper(milliseconds(1), [&] {
      if (finished.load()) return;
      in_renewal = true;
      std::this_thread::sleep_for(milliseconds(50));
      finished = true;
    });
    while (!in_renewal.load()) std::this_thread::yield();
  }
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace pe
