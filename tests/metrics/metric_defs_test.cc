#include "exporter/metrics/metric_defs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pe::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(MetricDefsTest, AllDefsListsEveryDeclarationOnce) {
  // Every `extern const Def` of the header is in AllDefs(), none twice.
  std::ifstream header(std::string(PE_SOURCE_DIR) +
                       "/exporter/metrics/metric_defs.h");
  ASSERT_TRUE(header.good());
  const std::string text(std::istreambuf_iterator<char>(header), {});
  std::size_t declared = 0;
  for (std::size_t pos = 0;
       (pos = text.find("\nextern const Def k", pos)) != std::string::npos;
       ++pos) {
    ++declared;
  }
  EXPECT_GT(declared, 0u);
  EXPECT_EQ(AllDefs().size(), declared);
  std::set<const Def*> pointers(AllDefs().begin(), AllDefs().end());
  EXPECT_EQ(pointers.size(), AllDefs().size());
  std::set<std::string_view> names;
  for (const Def* def : AllDefs()) {
    EXPECT_TRUE(names.insert(def->name).second) << def->name;
  }
}

TEST(MetricDefsTest, NamesFollowPrometheusConventions) {
  for (const Def* def : AllDefs()) {
    const std::string name(def->name);
    EXPECT_THAT(name, MatchesRegex("pipeline_[a-z0-9_]+")) << name;
    // Counters and only counters end in _total.
    EXPECT_EQ(name.ends_with("_total"), def->type == Type::kCounter) << name;
    if (name.find("timestamp") != std::string::npos ||
        def->type == Type::kHistogram) {
      EXPECT_TRUE(name.ends_with("_seconds")) << name;
    }
  }
}

TEST(MetricDefsTest, LabelsAreValidDistinctAndNotReserved) {
  for (const Def* def : AllDefs()) {
    std::set<std::string_view> seen;
    for (std::string_view label : def->labels) {
      EXPECT_THAT(std::string(label), MatchesRegex("[a-z][a-z0-9_]*"))
          << def->name;
      EXPECT_TRUE(seen.insert(label).second) << def->name << " " << label;
      // le is the histogram bucket label; quantile the summary's.
      EXPECT_NE(label, "le") << def->name;
      EXPECT_NE(label, "quantile") << def->name;
    }
  }
}

TEST(MetricDefsTest, EveryHelpIsOneNonEmptyLineThatFitsATableCell) {
  for (const Def* def : AllDefs()) {
    EXPECT_FALSE(def->help.empty()) << def->name;
    EXPECT_EQ(def->help.find('\n'), std::string_view::npos) << def->name;
    // ReferenceMarkdown does not escape cells.
    EXPECT_EQ(def->help.find('|'), std::string_view::npos) << def->name;
    EXPECT_FALSE(def->group.empty()) << def->name;
  }
}

TEST(MetricDefsTest, EachGroupIsOneRunOfDeclarations) {
  // The reference has one section per group, so a group's metrics must be
  // declared together.
  std::set<std::string_view> finished;
  std::string_view current;
  for (const Def* def : AllDefs()) {
    if (def->group == current) continue;
    EXPECT_FALSE(finished.count(def->group))
        << def->group << " again at " << def->name;
    if (!current.empty()) finished.insert(current);
    current = def->group;
  }
}

TEST(MetricDefsTest, TypeNamesAreTheExpositionKeywords) {
  EXPECT_EQ(TypeName(Type::kGauge), "gauge");
  EXPECT_EQ(TypeName(Type::kCounter), "counter");
  EXPECT_EQ(TypeName(Type::kHistogram), "histogram");
}

TEST(MetricDefsTest, HeaderIsHelpThenTypeLines) {
  EXPECT_EQ(Header(kStateUp), "# HELP pipeline_exporter_state_up " +
                                  std::string(kStateUp.help) +
                                  "\n# TYPE pipeline_exporter_state_up "
                                  "gauge\n");
  EXPECT_THAT(
      Header(kRunsFinished),
      ::testing::EndsWith("\n# TYPE pipeline_runs_finished_total counter\n"));
}

TEST(MetricDefsTest, HeaderEscapesBackslashAndNewlineInHelp) {
  const Def def{"m", Type::kHistogram, "a\\b\nc \"q\"", {}, "G"};
  EXPECT_EQ(Header(def), "# HELP m a\\\\b\\nc \"q\"\n# TYPE m histogram\n");
}

TEST(MetricDefsTest, ReferenceMarkdownHasASectionPerGroupAndARowPerMetric) {
  const std::string markdown = ReferenceMarkdown();
  std::set<std::string_view> groups;
  for (const Def* def : AllDefs()) groups.insert(def->group);
  std::size_t headings = 0;
  std::size_t rows = 0;
  for (std::size_t start = 0; start < markdown.size();) {
    std::size_t end = markdown.find('\n', start);
    if (end == std::string::npos) end = markdown.size();
    const std::string_view line(markdown.data() + start, end - start);
    if (line.starts_with("#### ")) ++headings;
    if (line.starts_with("| `")) ++rows;
    start = end + 1;
  }
  EXPECT_EQ(headings, groups.size());
  EXPECT_EQ(rows, AllDefs().size());
  for (std::string_view group : groups) {
    EXPECT_THAT(markdown, HasSubstr("#### " + std::string(group) +
                                    "\n\n| Metric | Type | Labels | "
                                    "Description |\n|---|---|---|---|\n"));
  }
  EXPECT_THAT(markdown,
              HasSubstr("| `pipeline_runs` | gauge | `project`, `state` | " +
                        std::string(kRuns.help) + " |\n"));
  EXPECT_THAT(markdown,
              HasSubstr("| `pipeline_exporter_state_up` | gauge |  | "));
}

TEST(MetricDefsTest, BucketsAreStrictlyIncreasingAndPositive) {
  for (const std::vector<double>* buckets :
       {&RunDurationBuckets(), &PollDurationBuckets(),
        &ArchiveDurationBuckets()}) {
    ASSERT_FALSE(buckets->empty());
    EXPECT_GT(buckets->front(), 0);
    for (std::size_t i = 1; i < buckets->size(); ++i) {
      EXPECT_LT((*buckets)[i - 1], (*buckets)[i]) << i;
    }
  }
  // A run of a day still lands in a finite bucket; a poll of 1ms too.
  EXPECT_GE(RunDurationBuckets().back(), 86400);
  EXPECT_LE(PollDurationBuckets().front(), 0.001);
}

}  // namespace
}  // namespace pe::metrics
