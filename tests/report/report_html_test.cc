#include "exporter/report/report_html.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "exporter/report/atomic_file.h"
#include "exporter/report/html_escape.h"
#include "exporter/report/report_json.h"
#include "tests/support/utf8_check.h"

namespace pe {
namespace {

using testing::IsValidUtf8;

// Error texts that try to break out of the page. Each sets the title to
// PWNED if it ever runs; tests/integration/test_report_chromium.py checks
// that in a real browser.
const std::string kScriptTag = "<script>alert(1)</script>";
const std::string kScriptTitle = "<script>document.title='PWNED'</script>";
const std::string kImgOnerror =
    "</pre><img src=x onerror=\"document.title='PWNED'\"><pre>";
const std::string kQuotesUnicode =
    "He said \"don't\" & left \xE2\x80\x94 na\xC3\xAFve caf\xC3\xA9 "
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xE2\x9C\x93 \xF0\x9F\x9A\x80";
constexpr char kInvalidUtf8Bytes[] =
    "bytes: \xFF\xFE then \xC3\x28 and a NUL \0 end";
const std::string kInvalidUtf8(kInvalidUtf8Bytes, sizeof kInvalidUtf8Bytes - 1);

// A 50+ KB traceback whose lines carry markup and whose end is marked.
std::string HugeTraceback() {
  std::string text = "Traceback (most recent call last):\n";
  for (int i = 0; text.size() < 50 * 1024; ++i) {
    char line[160];
    std::snprintf(line, sizeof line,
                  "  File \"/srv/pipeline/step_%d.py\", line %d, in run\n"
                  "    raise RuntimeError('<b>frame %d</b> & more')\n",
                  i, 10 + i, i);
    text += line;
  }
  return text + "RuntimeError: END-OF-HUGE-TEXT";
}

RunReport HostileReport() {
  RunReport r;
  r.run_id = "01JHOSTILE0000000000000000";
  r.project = "<b>bold project</b>";
  r.phase = "phase5_execution";
  r.workstream = "\"><script>document.title='PWNED'</script>";
  r.status = "failed";
  r.created = 1764928800;
  r.started = 1764928805;
  r.ended = 1764932528;
  r.duration_seconds = 3723;
  r.steps_total = 8;
  r.steps_completed = 2;
  r.steps_failed = 5;
  r.steps_skipped = 1;
  r.failed_steps = {
      {.step_id = "s1",
       .name = "<iframe src=x></iframe>render",
       .attempt = 1,
       .started = 1764928805,
       .ended = 1764928865,
       .error_message = kScriptTag + "\n" + kScriptTitle},
      {.step_id = "s2<x>",
       .name = "close the pre",
       .attempt = 2,
       .error_message = kImgOnerror},
      {.step_id = "s3", .name = "quotes", .error_message = kQuotesUnicode},
      {.step_id = "s4", .name = "bytes", .error_message = kInvalidUtf8},
      {.step_id = "s5", .name = "huge", .error_message = HugeTraceback()},
  };
  r.events_total = 57;
  r.events_errors = 6;
  r.archive = {.path = ".archive/<evil>&.zip",
               .size_bytes = 1536,
               .sha256 = std::string(64, 'a'),
               .integrity = "failed: crc mismatch in 'logs/<b>.txt'"};
  r.generated_at = 1764932530;
  return r;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

// What every rendering of HostileReport() must satisfy.
void ExpectHostileTextOnlyEscaped(const std::string& html) {
  const RunReport r = HostileReport();
  std::vector<std::string> hostile = {r.project, *r.workstream, *r.archive.path,
                                      r.archive.integrity};
  for (const FailedStepReport& step : r.failed_steps) {
    hostile.push_back(step.name);
    hostile.push_back(step.step_id);
    hostile.push_back(*step.error_message);
  }
  for (const std::string& text : hostile) {
    const std::string escaped = HtmlEscape(text);
    EXPECT_NE(html.find(escaped), std::string::npos)
        << "missing, or not whole: " << escaped.substr(0, 200);
    if (escaped != text) {
      EXPECT_EQ(html.find(text), std::string::npos)
          << "appears unescaped: " << text.substr(0, 200);
    }
  }
  const std::string lower = Lower(html);
  for (const char* tag : {"<script", "<img", "<iframe", "<b>", "<x>"}) {
    EXPECT_EQ(lower.find(tag), std::string::npos) << tag;
  }
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("RuntimeError: END-OF-HUGE-TEXT</pre>"),
            std::string::npos);
  EXPECT_TRUE(IsValidUtf8(html));
  EXPECT_EQ(html.find('\0'), std::string::npos);
}

TEST(ReportHtmlTest, ShowsHostileDatabaseTextOnlyEscaped) {
  ExpectHostileTextOnlyEscaped(RenderReportHtml(HostileReport()));
}

// tests/integration/test_report_chromium.py runs this test with
// PE_REPORT_OUT=<file> (and PE_REPORT_JSON_OUT=<file>) to get the page (and
// JSON) the real code renders for the hostile report; without the variables
// it checks the same page in memory.
TEST(ReportHtmlTest, RendersTheHostileReportForTheBrowserTest) {
  const std::string html = RenderReportHtml(HostileReport());
  ExpectHostileTextOnlyEscaped(html);
  if (const char* out = std::getenv("PE_REPORT_OUT"); out && *out) {
    const Status s = WriteFileAtomically(out, html);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  if (const char* out = std::getenv("PE_REPORT_JSON_OUT"); out && *out) {
    const Status s =
        WriteFileAtomically(out, RenderReportJson(HostileReport()));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
}

TEST(ReportHtmlTest, DeclaresAContentSecurityPolicyAndLoadsNothing) {
  RunReport r;
  r.run_id = "r1";
  r.status = "succeeded";
  r.failed_steps = {{.step_id = "s", .name = "n", .error_message = "e"}};
  r.archive = {.path = "a.zip",
               .size_bytes = 1,
               .sha256 = "00",
               .integrity = "verified"};
  const std::string html = RenderReportHtml(r);
  EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\" "
                      "content=\"default-src 'none'; "
                      "style-src 'unsafe-inline'\">"),
            std::string::npos);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  const std::string lower = Lower(html);
  for (const char* external : {"<script", "<link", "<img", "<iframe", "src=",
                               "href=", "url(", "@import", "http:", "https:"}) {
    EXPECT_EQ(lower.find(external), std::string::npos) << external;
  }
}

TEST(ReportHtmlTest, ColoursTheStatusBadgeFromAFixedMapping) {
  const struct {
    std::string status;
    std::string badge;
  } cases[] = {
      {"succeeded", R"(<span class="badge ok">succeeded</span>)"},
      {"partial", R"(<span class="badge warn">partial</span>)"},
      {"failed", R"(<span class="badge bad">failed</span>)"},
      {"quarantined", R"(<span class="badge quar">quarantined</span>)"},
      {"canceled", R"(<span class="badge grey">canceled</span>)"},
      {"running", R"(<span class="badge info">running</span>)"},
      {"", R"(<span class="badge grey">unknown</span>)"},
      {"ok\" onmouseover=\"x",
       R"(<span class="badge grey">ok&quot; onmouseover=&quot;x</span>)"},
  };
  for (const auto& c : cases) {
    RunReport r;
    r.status = c.status;
    EXPECT_NE(RenderReportHtml(r).find(c.badge), std::string::npos) << c.status;
  }
}

TEST(ReportHtmlTest, ShowsDurationsAndSizesForPeople) {
  RunReport r;
  r.duration_seconds = 3723;
  r.archive.size_bytes = 1536;
  const std::string html = RenderReportHtml(r);
  EXPECT_NE(html.find("<th>Duration</th><td>1h 02m 03s</td>"),
            std::string::npos);
  EXPECT_NE(html.find("1.5 KiB <span class=\"muted\">(1,536 bytes)</span>"),
            std::string::npos);
}

TEST(ReportHtmlTest, MarksMissingValuesInsteadOfInventingThem) {
  RunReport r;
  r.failed_steps = {{.step_id = "s"}};
  const std::string html = RenderReportHtml(r);
  EXPECT_NE(html.find("<th>Started</th><td><span class=\"muted\">&mdash;"),
            std::string::npos);
  EXPECT_NE(html.find("<th>Workstream</th><td><span class=\"muted\">&mdash;"),
            std::string::npos);
  EXPECT_NE(html.find("No error message recorded."), std::string::npos);
  EXPECT_NE(html.find("no start or end time recorded"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"badge grey\">unknown</span>"),
            std::string::npos)
      << "an empty integrity result";
  EXPECT_EQ(html.find("<div class=\"bar\">"), std::string::npos)
      << "no bar without steps";
}

}  // namespace
}  // namespace pe
