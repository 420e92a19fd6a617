#include "exporter/metrics/sample_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace pe::metrics {
namespace {

std::string Value(double value) {
  std::string out;
  AppendValue(&out, value);
  return out;
}

TEST(AppendSampleTest, WritesNameLabelsInTheGivenOrderAndValue) {
  std::string out;
  AppendSample(&out, "pipeline_runs", {{"state", "failed"}, {"project", "a"}},
               3);
  EXPECT_EQ(out, "pipeline_runs{state=\"failed\",project=\"a\"} 3\n");
}

TEST(AppendSampleTest, WithoutLabelsThereAreNoBraces) {
  std::string out;
  AppendSample(&out, "pipeline_exporter_state_up", {}, 1);
  EXPECT_EQ(out, "pipeline_exporter_state_up 1\n");
}

TEST(AppendSampleTest, EscapesLabelValuesSoALineStaysOneSample) {
  std::string out;
  AppendSample(&out, "m", {{"reason", "say \"hi\"\n\\ done"}}, 1);
  EXPECT_EQ(out, "m{reason=\"say \\\"hi\\\"\\n\\\\ done\"} 1\n");
  EXPECT_EQ(out.find('\n'), out.size() - 1);
}

TEST(AppendSampleTest, AnEmptyLabelValueIsWrittenAsEmptyQuotes) {
  std::string out;
  AppendSample(&out, "m", {{"workstream", ""}}, 0);
  EXPECT_EQ(out, "m{workstream=\"\"} 0\n");
}

TEST(AppendSampleTest, AppendsToWhatIsAlreadyThere) {
  std::string out = "# TYPE m gauge\n";
  AppendSample(&out, "m", {{"k", "1"}}, 1);
  AppendSample(&out, "m", {{"k", "2"}}, 2);
  EXPECT_EQ(out, "# TYPE m gauge\nm{k=\"1\"} 1\nm{k=\"2\"} 2\n");
}

TEST(AppendValueTest, WritesTheShortestTextThatReadsBackTheSame) {
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(1), "1");
  EXPECT_EQ(Value(-3), "-3");
  EXPECT_EQ(Value(0.5), "0.5");
  EXPECT_EQ(Value(0.1), "0.1");
  EXPECT_EQ(Value(1733393472.345), "1733393472.345");
  EXPECT_EQ(Value(20000), "20000");
  for (double v : {1.0 / 3, 1e-300, 123456789.123456789, 1e21}) {
    EXPECT_EQ(std::stod(Value(v)), v) << Value(v);
  }
}

TEST(AppendValueTest, NonFiniteValuesUseThePrometheusSpelling) {
  EXPECT_EQ(Value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()), "-Inf");
}

}  // namespace
}  // namespace pe::metrics
