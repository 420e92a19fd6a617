#include "exporter/metrics/composer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exporter/worker/worker_metrics.h"

namespace pe {
namespace {

using Source = Composer::Source;

class ComposerTest : public ::testing::Test {
 protected:
  std::string Body() const { return store_->Latest()->body(); }

  std::shared_ptr<SnapshotStore> store_ = std::make_shared<SnapshotStore>();
  Composer composer_{store_};
};

TEST_F(ComposerTest, PublishesNothingBeforeThePollersFirstParts) {
  composer_.UpdateText(Source::kReload, "reload 1\n");
  composer_.UpdateText(Source::kWorker, "worker 1\n");
  EXPECT_EQ(Body(), "");
  composer_.Update({{Source::kState, {MakePart("state 1\n")}}});
  EXPECT_EQ(Body(), "state 1\nreload 1\nworker 1\n");
}

TEST_F(ComposerTest, TheBodyFollowsTheSourcesOrderWhateverTheUpdateOrder) {
  composer_.Update({{Source::kRuns, {MakePart("run a\n"), MakePart("run b\n")}},
                    {Source::kState, {MakePart("state 1\n")}}});
  composer_.UpdateText(Source::kWorker, "worker 1\n");
  composer_.UpdateText(Source::kReload, "reload 1\n");
  EXPECT_EQ(Body(), "state 1\nreload 1\nworker 1\nrun a\nrun b\n");
}

TEST_F(ComposerTest, AnUpdateReplacesOnlyItsSourcesAndSharesTheOthersParts) {
  const Snapshot::Part runs = MakePart("run a\n");
  composer_.Update(
      {{Source::kState, {MakePart("state 1\n")}}, {Source::kRuns, {runs}}});
  const auto before = store_->Latest();
  composer_.UpdateText(Source::kWorker, "worker 2\n");
  const auto after = store_->Latest();
  EXPECT_NE(after, before);
  EXPECT_EQ(after->body(), "state 1\nworker 2\nrun a\n");
  EXPECT_EQ(after->pieces().back().data(), runs->text().data())
      << "the per-run part is shared, not copied";
}

TEST_F(ComposerTest, AnUnchangedTextPublishesNoNewSnapshot) {
  composer_.Update({{Source::kState, {MakePart("state 1\n")}}});
  composer_.UpdateText(Source::kWorker, "worker 1\n");
  const auto before = store_->Latest();
  composer_.UpdateText(Source::kWorker, "worker 1\n");
  EXPECT_EQ(store_->Latest(), before);
}

// Issue 22: a worker figure reaches the next scrape without a poll.
TEST_F(ComposerTest, AWorkerFigureIsServedWithoutAPoll) {
  WorkerMetrics worker;
  worker.SetSink([this](std::string text) {
    composer_.UpdateText(Source::kWorker, std::move(text));
  });
  composer_.Update({{Source::kState, {MakePart("state 1\n")}}});
  worker.Publish();
  EXPECT_NE(Body().find("pipeline_worker_reports_generated_total 0"),
            std::string::npos)
      << Body();
  worker.ReportGenerated();
  worker.Publish();
  EXPECT_NE(Body().find("pipeline_worker_reports_generated_total 1"),
            std::string::npos)
      << Body();
  EXPECT_EQ(Body().rfind("state 1\n", 0), 0u) << "the poller's part is kept";
}

TEST_F(ComposerTest, ConcurrentSourcesAlwaysLeaveACompleteBody) {
  composer_.Update({{Source::kState, {MakePart("state 0\n")}}});
  std::thread worker([this] {
    for (int i = 0; i < 2000; ++i) {
      composer_.UpdateText(Source::kWorker,
                           "worker " + std::to_string(i) + "\n");
    }
  });
  for (int i = 1; i <= 2000; ++i) {
    composer_.Update(
        {{Source::kState, {MakePart("state " + std::to_string(i) + "\n")}}});
  }
  worker.join();
  EXPECT_EQ(Body(), "state 2000\nworker 1999\n");
}

}  // namespace
}  // namespace pe
