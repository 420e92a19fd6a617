#include "exporter/metrics/snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.h"

namespace pe {
namespace {

// Exposition-like text of about `bytes` bytes, varied enough to compress
// realistically.
std::string MetricsText(size_t bytes) {
  std::string text;
  for (int i = 0; text.size() < bytes; ++i) {
    text += "pipeline_run_duration_seconds{pipeline=\"p" +
            std::to_string(i % 97) + "\",run=\"" + std::to_string(i) + "\"} " +
            std::to_string(i * 0.37) + "\n";
  }
  return text;
}

struct GzipCase {
  std::string name;
  std::string data;
  int level;
};

class GzipCompressTest : public ::testing::TestWithParam<GzipCase> {};

TEST_P(GzipCompressTest, ProducesGzipThatInflatesToTheInput) {
  const GzipCase& c = GetParam();
  const std::string gz = GzipCompress(c.data, c.level);
  ASSERT_GE(gz.size(), 18u);  // 10-byte header + 8-byte trailer at least
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  Result<std::string> plain = test::Gunzip(gz);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, c.data);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, GzipCompressTest,
    ::testing::Values(GzipCase{"Empty", "", 1}, GzipCase{"Short", "up 1\n", 1},
                      GzipCase{"BinaryBytes", std::string("\0\x01\xff\x80", 4),
                               1},
                      GzipCase{"FiveMegabytes", MetricsText(5 << 20), 1},
                      GzipCase{"BestCompression", MetricsText(100000), 9},
                      GzipCase{"DefaultLevel", MetricsText(100000), -1},
                      GzipCase{"OutOfRangeLevelIsClamped", "abc", 42}),
    [](const auto& info) { return info.param.name; });

TEST(GzipCompressTest, ShrinksRepetitiveMetricsText) {
  const std::string text = MetricsText(1 << 20);
  EXPECT_LT(GzipCompress(text).size(), text.size() / 4);
}

TEST(SnapshotTest, GzipBodyIsComputedOnceAndInflatesToBody) {
  const Snapshot snapshot(MetricsText(200000));
  const std::vector<std::string_view> first = snapshot.gzip_pieces();
  const std::vector<std::string_view> second = snapshot.gzip_pieces();
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.front().data(), second.front().data());
  Result<std::string> plain = test::Gunzip(JoinPieces(first));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, snapshot.body());
}

TEST(SnapshotTest, ConcurrentFirstCallersAllSeeTheSameGzipBody) {
  const Snapshot snapshot(MetricsText(1 << 20));
  constexpr int kThreads = 8;
  std::vector<const char*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { seen[i] = snapshot.gzip_pieces().front().data(); });
  }
  for (auto& t : threads) t.join();
  for (const char* s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_NE(seen[0], nullptr);
}

TEST(GzipCompressTest, LargeOutputComesInFullChunksButTheLast) {
  // Random bytes do not compress: about 1 MiB of output.
  std::string data(1 << 20, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  const std::vector<std::string> chunks =
      GzipCompressChunks({std::string_view(data)});
  ASSERT_GE(chunks.size(), 4u);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].size(), kGzipChunkBytes) << i;
  }
  EXPECT_LE(chunks.back().size(), kGzipChunkBytes);
  EXPECT_EQ(chunks.back().capacity(), chunks.back().size());
  Result<std::string> plain =
      test::Gunzip(JoinPieces({chunks.begin(), chunks.end()}));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, data);
}

TEST(SnapshotStoreTest, LatestIsAnEmptySnapshotBeforeTheFirstPublish) {
  const SnapshotStore store;
  std::shared_ptr<const Snapshot> latest = store.Latest();
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->body(), "");
  EXPECT_FALSE(store.ready());
}

TEST(SnapshotStoreTest, LatestReturnsTheLastPublishedSnapshot) {
  SnapshotStore store;
  auto first = std::make_shared<const Snapshot>("a 1\n");
  auto second = std::make_shared<const Snapshot>("a 2\n");
  store.Publish(first);
  EXPECT_EQ(store.Latest(), first);
  store.Publish(second);
  EXPECT_EQ(store.Latest(), second);
  EXPECT_EQ(first->body(), "a 1\n");  // readers keep old snapshots alive
}

TEST(SnapshotStoreTest, PublishingNullKeepsLatestNonNull) {
  SnapshotStore store;
  store.Publish(std::make_shared<const Snapshot>("a 1\n"));
  store.Publish(nullptr);
  ASSERT_NE(store.Latest(), nullptr);
  EXPECT_EQ(store.Latest()->body(), "");
}

TEST(SnapshotStoreTest, ReadyOnlyAfterMarkReady) {
  SnapshotStore store;
  store.Publish(std::make_shared<const Snapshot>("a 1\n"));
  EXPECT_FALSE(store.ready());
  store.MarkReady();
  EXPECT_TRUE(store.ready());
}

TEST(SnapshotStoreTest, ReadersDuringPublishesAlwaysSeeACompleteSnapshot) {
  SnapshotStore store;
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop.load()) {
      std::shared_ptr<const Snapshot> s = store.Latest();
      if (s == nullptr || (s->body() != "" && s->body().back() != '\n')) {
        bad.fetch_add(1);
      }
    }
  });
  for (int i = 0; i < 20000; ++i) {
    store.Publish(
        std::make_shared<const Snapshot>("a " + std::to_string(i) + "\n"));
  }
  stop.store(true);
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(store.Latest()->body(), "a 19999\n");
}

}  // namespace
}  // namespace pe
