#include "exporter/metrics/registry_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

#include "exporter/metrics/metric_defs.h"

namespace pe::metrics {
namespace {

using ::testing::HasSubstr;

TEST(RegisterFamilyTest, UsesTheDeclaredNameAndHelp) {
  prometheus::Registry registry;
  auto& family = RegisterFamily(prometheus::BuildGauge(), kStateUp, registry);
  family.Add({}).Set(1);
  const std::string text = SerializeInDeclarationOrder(registry);
  EXPECT_THAT(text, HasSubstr("# HELP " + std::string(kStateUp.name) + " " +
                              std::string(kStateUp.help) + "\n"));
  EXPECT_THAT(text,
              HasSubstr("# TYPE " + std::string(kStateUp.name) + " gauge\n"));
  EXPECT_THAT(text, HasSubstr(std::string(kStateUp.name) + " 1\n"));
}

TEST(SerializeInDeclarationOrderTest, AnEmptyRegistryIsEmptyText) {
  prometheus::Registry registry;
  EXPECT_EQ(SerializeInDeclarationOrder(registry), "");
}

TEST(SerializeInDeclarationOrderTest, FamiliesComeInDeclarationOrder) {
  // Registered in reverse order and of mixed types (prometheus-cpp collects
  // by type): the text follows AllDefs() all the same.
  prometheus::Registry registry;
  RegisterFamily(prometheus::BuildCounter(), kEvents, registry)
      .Add({{"event_type", "run_created"}, {"severity", "info"}})
      .Increment();
  RegisterFamily(prometheus::BuildGauge(), kRunInfo, registry)
      .Add({{"run_id", "r1"}})
      .Set(1);
  RegisterFamily(prometheus::BuildCounter(), kRunsFinished, registry)
      .Add({{"project", "a"}, {"state", "failed"}})
      .Increment();
  RegisterFamily(prometheus::BuildGauge(), kRuns, registry)
      .Add({{"project", "a"}, {"state", "failed"}})
      .Set(2);
  const std::string text = SerializeInDeclarationOrder(registry);
  const auto at = [&](const Def& def) {
    const std::size_t pos = text.find("# HELP " + std::string(def.name) + " ");
    EXPECT_NE(pos, std::string::npos) << def.name;
    return pos;
  };
  EXPECT_LT(at(kRuns), at(kRunInfo));
  EXPECT_LT(at(kRunInfo), at(kRunsFinished));
  EXPECT_LT(at(kRunsFinished), at(kEvents));
}

TEST(SerializeInDeclarationOrderTest, UndeclaredFamiliesComeLast) {
  prometheus::Registry registry;
  prometheus::BuildGauge()
      .Name("aaa_not_declared")
      .Help("Not in metric_defs.")
      .Register(registry)
      .Add({})
      .Set(1);
  RegisterFamily(prometheus::BuildGauge(), kWorkerWorktreeDeleteFailures,
                 registry)
      .Add({})
      .Set(0);
  const std::string text = SerializeInDeclarationOrder(registry);
  EXPECT_LT(text.find(std::string(kWorkerWorktreeDeleteFailures.name)),
            text.find("aaa_not_declared"));
}

TEST(SerializeInDeclarationOrderTest, SeriesAreSortedByTheirLabels) {
  prometheus::Registry registry;
  auto& runs = RegisterFamily(prometheus::BuildGauge(), kRuns, registry);
  runs.Add({{"project", "b"}, {"state", "failed"}}).Set(1);
  runs.Add({{"project", "a"}, {"state", "running"}}).Set(2);
  runs.Add({{"project", "a"}, {"state", "failed"}}).Set(3);
  runs.Add({{"project", "aa"}, {"state", "canceled"}}).Set(4);
  const std::string text = SerializeInDeclarationOrder(registry);
  const std::string a_failed =
      "pipeline_runs{project=\"a\",state=\"failed\"} 3";
  const std::string a_running =
      "pipeline_runs{project=\"a\",state=\"running\"} 2";
  const std::string aa = "pipeline_runs{project=\"aa\",state=\"canceled\"} 4";
  const std::string b = "pipeline_runs{project=\"b\",state=\"failed\"} 1";
  ASSERT_THAT(text, HasSubstr(a_failed));
  ASSERT_THAT(text, HasSubstr(a_running));
  ASSERT_THAT(text, HasSubstr(aa));
  ASSERT_THAT(text, HasSubstr(b));
  EXPECT_LT(text.find(a_failed), text.find(a_running));
  EXPECT_LT(text.find(a_running), text.find(aa));
  EXPECT_LT(text.find(aa), text.find(b));
}

TEST(SerializeInDeclarationOrderTest, TheSameContentGivesTheSameText) {
  // Whatever the order the series were added in.
  const auto build = [](bool reverse) {
    prometheus::Registry registry;
    auto& runs = RegisterFamily(prometheus::BuildGauge(), kRuns, registry);
    for (int i = 0; i < 20; ++i) {
      const int n = reverse ? 19 - i : i;
      runs.Add({{"project", "p" + std::to_string(n)}, {"state", "failed"}})
          .Set(n);
    }
    return SerializeInDeclarationOrder(registry);
  };
  EXPECT_EQ(build(false), build(true));
}

}  // namespace
}  // namespace pe::metrics
