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

std::string Gunzipped(const Snapshot& snapshot) {
  Result<std::string> plain = test::Gunzip(JoinPieces(snapshot.gzip_pieces()));
  EXPECT_TRUE(plain.ok()) << plain.status().ToString();
  return plain.ok() ? *plain : std::string("<not gzip>");
}

// Random bytes: they do not compress, so their deflate blocks are stored
// ones and longer than the text.
std::string RandomBytes(std::size_t n) {
  std::string data(n, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return data;
}

struct GzipCase {
  std::string name;
  std::vector<std::string> parts;
};

class SnapshotGzipTest : public ::testing::TestWithParam<GzipCase> {};

TEST_P(SnapshotGzipTest, GzipBodyInflatesToTheBody) {
  std::vector<Snapshot::Part> parts;
  for (const std::string& text : GetParam().parts) {
    parts.push_back(MakePart(text));
  }
  const Snapshot snapshot(std::move(parts));
  const std::string gz = JoinPieces(snapshot.gzip_pieces());
  ASSERT_GE(gz.size(), 20u);  // header, last block and trailer at least
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(Gunzipped(snapshot), snapshot.body());
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, SnapshotGzipTest,
    ::testing::Values(
        GzipCase{"Empty", {}}, GzipCase{"OneEmptyPart", {""}},
        GzipCase{"Short", {"up 1\n"}},
        GzipCase{"BinaryBytes", {std::string("\0\x01\xff\x80", 4)}},
        GzipCase{"EmptyPartsBetween", {"a 1\n", "", "b 2\n", "", ""}},
        GzipCase{"FiveMegabytesInOnePart", {MetricsText(5 << 20)}},
        GzipCase{"ManySmallParts", std::vector<std::string>(3000, "up 1\n")},
        GzipCase{"IncompressiblePartsOfAMegabyte",
                 {RandomBytes(1 << 20), MetricsText(1000), RandomBytes(7)}}),
    [](const auto& info) { return info.param.name; });

TEST(SnapshotTest, ShrinksRepetitiveMetricsText) {
  const Snapshot snapshot(MetricsText(1 << 20));
  EXPECT_LT(JoinPieces(snapshot.gzip_pieces()).size(), snapshot.size() / 4);
}

TEST(SnapshotTest, GzipBodyIsComputedOnceAndInflatesToBody) {
  const Snapshot snapshot(MetricsText(200000));
  const std::vector<std::string_view> first = snapshot.gzip_pieces();
  const std::vector<std::string_view> second = snapshot.gzip_pieces();
  ASSERT_GE(first.size(), 3u);
  EXPECT_EQ(first[1].data(), second[1].data());
  EXPECT_EQ(Gunzipped(snapshot), snapshot.body());
}

TEST(SnapshotTest, ConcurrentFirstCallersAllSeeTheSameGzipBody) {
  const Snapshot snapshot(MetricsText(1 << 20));
  constexpr int kThreads = 8;
  std::vector<const char*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { seen[i] = snapshot.gzip_pieces()[1].data(); });
  }
  for (auto& t : threads) t.join();
  for (const char* s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_NE(seen[0], nullptr);
}

// What makes a scrape of a new snapshot cheap: a part that the previous
// snapshot held after the same part is not compressed again; only the new
// one is, and the one after it (its blocks may refer back into the part
// before, as pigz's do).
TEST(SnapshotTest, APartSharedWithAnEarlierSnapshotIsCompressedOnce) {
  const Snapshot::Part after_new = MakePart(MetricsText(100000));
  const Snapshot::Part unchanged = MakePart(MetricsText(50000));
  const Snapshot first({MakePart("a 1\n"), after_new, unchanged});
  const Snapshot second({MakePart("a 2\n"), after_new, unchanged});
  const std::vector<std::string_view> before = first.gzip_pieces();
  const std::vector<std::string_view> after = second.gzip_pieces();
  ASSERT_EQ(before.size(), 5u);  // header, three parts, trailer
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(after[3].data(), before[3].data()) << "the same blocks, shared";
  EXPECT_NE(after[1].data(), before[1].data());
  EXPECT_NE(after[2].data(), before[2].data()) << "made again after a new part";
  EXPECT_EQ(Gunzipped(first), "a 1\n" + after_new->text() + unchanged->text());
  EXPECT_EQ(Gunzipped(second), "a 2\n" + after_new->text() + unchanged->text());
}

// A part may follow other parts in other snapshots (runs moved between
// buckets): each snapshot's stream refers back only into what precedes it
// there, whichever was compressed last, concurrently too.
TEST(SnapshotTest, APartAfterDifferentPartsInTwoSnapshotsGunzipsInBoth) {
  const Snapshot::Part shared = MakePart(MetricsText(20000));
  const Snapshot::Part x = MakePart(MetricsText(9000));
  const Snapshot::Part y = MakePart("other_metric 7\n" + MetricsText(3000));
  for (int round = 0; round < 3; ++round) {
    const Snapshot after_x({x, shared});
    const Snapshot after_y({y, shared});
    const Snapshot first_in_body({shared, x});
    std::vector<std::thread> threads;
    for (const Snapshot* s : {&after_x, &after_y, &first_in_body}) {
      threads.emplace_back([s] { s->gzip_pieces(); });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(Gunzipped(after_x), x->text() + shared->text());
    EXPECT_EQ(Gunzipped(after_y), y->text() + shared->text());
    EXPECT_EQ(Gunzipped(first_in_body), shared->text() + x->text());
  }
}

// Two snapshots that share parts, scraped at once: each part is compressed
// by one of them and both bodies are whole.
TEST(SnapshotTest, ConcurrentScrapesOfSnapshotsSharingPartsAgree) {
  std::vector<Snapshot::Part> shared;
  for (int i = 0; i < 200; ++i) shared.push_back(MakePart(MetricsText(5000)));
  std::vector<std::unique_ptr<Snapshot>> snapshots;
  for (int s = 0; s < 4; ++s) {
    std::vector<Snapshot::Part> parts = shared;
    parts.push_back(MakePart("s " + std::to_string(s) + "\n"));
    snapshots.push_back(std::make_unique<Snapshot>(std::move(parts)));
  }
  std::vector<std::thread> threads;
  for (const auto& snapshot : snapshots) {
    threads.emplace_back([&snapshot] { snapshot->gzip_pieces(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& snapshot : snapshots) {
    EXPECT_EQ(Gunzipped(*snapshot), snapshot->body());
    EXPECT_EQ(snapshot->gzip_pieces()[1].data(),
              snapshots[0]->gzip_pieces()[1].data());
  }
}

// Each part is compressed on its own, after the end of the part before it,
// and the whole compresses about as well as one stream would.
TEST(SnapshotTest, PartsOfABucketsSizeCompressAboutAsWellAsOneStream) {
  const std::string text = MetricsText(1 << 20);
  std::vector<Snapshot::Part> parts;
  for (std::size_t at = 0; at < text.size(); at += 8192) {
    parts.push_back(MakePart(text.substr(at, 8192)));
  }
  const Snapshot whole(text);
  const Snapshot split(std::move(parts));
  EXPECT_EQ(Gunzipped(split), text);
  const std::size_t one = JoinPieces(whole.gzip_pieces()).size();
  EXPECT_LT(JoinPieces(split.gzip_pieces()).size(), one * 11 / 10);
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
