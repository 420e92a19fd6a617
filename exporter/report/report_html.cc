#include "exporter/report/report_html.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "exporter/report/html_escape.h"
#include "exporter/report/report_format.h"
#include "exporter/report/report_style.h"

namespace pe {
namespace {

constexpr std::string_view kHead = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
)";

std::string Esc(std::string_view raw) { return HtmlEscape(raw); }

// A missing value, shown the same way everywhere.
constexpr std::string_view kMissing = R"(<span class="muted">&mdash;</span>)";

std::string TimeCell(const std::optional<int64_t>& t) {
  if (!t) return std::string(kMissing);
  return "<time>" + FormatRfc3339(*t) + "</time>";
}

// The colour class for a run state: a fixed mapping, never the raw text.
std::string_view StatusClass(std::string_view status) {
  if (status == "succeeded") return "ok";
  if (status == "partial") return "warn";
  if (status == "failed") return "bad";
  if (status == "quarantined") return "quar";
  if (status == "running" || status == "pending") return "info";
  return "grey";
}

std::string_view IntegrityClass(std::string_view integrity) {
  if (integrity == "verified") return "ok";
  if (integrity.rfind("failed", 0) == 0) return "bad";
  return "grey";
}

std::string Badge(std::string_view cls, std::string_view raw_text) {
  std::string out = "<span class=\"badge ";
  out.append(cls).append("\">");
  AppendHtmlEscaped(&out, raw_text.empty() ? "unknown" : raw_text);
  out.append("</span>");
  return out;
}

void Row(std::string* out, std::string_view label, std::string_view html) {
  out->append("<tr><th>").append(label).append("</th><td>");
  out->append(html).append("</td></tr>\n");
}

std::string DurationText(const std::optional<double>& seconds) {
  return seconds ? FormatHumanDuration(*seconds) : "-";
}

void AppendHeader(std::string* out, const RunReport& r) {
  out->append("<title>Run ").append(Esc(r.run_id)).append(" &middot; ");
  out->append(Esc(r.status.empty() ? "unknown" : r.status));
  out->append("</title>\n<style>\n").append(ReportStylesheet());
  out->append("</style>\n</head>\n");
  const std::string_view cls = StatusClass(r.status);
  out->append("<body>\n<main>\n<header class=\"top ").append(cls);
  out->append("\">\n<div class=\"kicker\">Pipeline run report</div>\n");
  out->append("<h1><span class=\"run-id\">").append(Esc(r.run_id));
  out->append("</span> ").append(Badge(cls, r.status)).append("</h1>\n");
  out->append("<p class=\"crumbs\"><span>").append(Esc(r.project));
  out->append("</span><span>").append(Esc(r.phase)).append("</span>");
  if (r.workstream) {
    out->append("<span>").append(Esc(*r.workstream)).append("</span>");
  }
  out->append("</p>\n</header>\n");
}

void Tile(std::string* out, std::string_view value, std::string_view label,
          bool alert) {
  out->append(alert ? "<div class=\"tile alert\">" : "<div class=\"tile\">");
  out->append("<div class=\"v\">").append(value).append("</div>");
  out->append("<div class=\"l\">").append(label).append("</div></div>\n");
}

void AppendTiles(std::string* out, const RunReport& r) {
  out->append("<div class=\"tiles\">\n");
  Tile(out, DurationText(r.duration_seconds), "Duration", false);
  Tile(out,
       FormatGrouped(r.steps_completed) + " / " + FormatGrouped(r.steps_total),
       "Steps completed", false);
  Tile(out, FormatGrouped(r.steps_failed), "Steps failed", r.steps_failed > 0);
  Tile(out, FormatGrouped(r.events_total), "Events", false);
  Tile(out, FormatGrouped(r.events_errors), "Error events",
       r.events_errors > 0);
  out->append("</div>\n");
}

void AppendSummary(std::string* out, const RunReport& r) {
  out->append("<section class=\"card\">\n<h2>Summary</h2>\n");
  out->append("<table class=\"kv\">\n");
  Row(out, "Run id", "<code>" + Esc(r.run_id) + "</code>");
  Row(out, "Status", Badge(StatusClass(r.status), r.status));
  Row(out, "Project", Esc(r.project));
  Row(out, "Phase", Esc(r.phase));
  Row(out, "Workstream",
      r.workstream ? Esc(*r.workstream) : std::string(kMissing));
  Row(out, "Created", TimeCell(r.created));
  Row(out, "Started", TimeCell(r.started));
  Row(out, "Ended", TimeCell(r.ended));
  Row(out, "Duration",
      r.duration_seconds ? FormatHumanDuration(*r.duration_seconds)
                         : std::string(kMissing));
  out->append("</table>\n</section>\n");
}

void AppendSteps(std::string* out, const RunReport& r) {
  out->append("<section class=\"card\">\n<h2>Steps</h2>\n");
  const int64_t other = std::max<int64_t>(
      0, r.steps_total - r.steps_completed - r.steps_failed - r.steps_skipped);
  const struct {
    std::string_view cls, label;
    int64_t count;
  } parts[] = {{"s-completed", "completed", r.steps_completed},
               {"s-failed", "failed", r.steps_failed},
               {"s-skipped", "skipped", r.steps_skipped},
               {"s-other", "not finished", other}};
  if (r.steps_total > 0) {
    out->append("<div class=\"bar\">");
    for (const auto& p : parts) {
      if (p.count <= 0) continue;
      out->append("<span class=\"").append(p.cls);
      out->append("\" style=\"flex-grow:").append(std::to_string(p.count));
      out->append("\"></span>");
    }
    out->append("</div>\n");
  }
  out->append("<ul class=\"legend\">\n<li><strong>");
  out->append(FormatGrouped(std::max<int64_t>(0, r.steps_total)));
  out->append("</strong> total</li>\n");
  for (const auto& p : parts) {
    if (p.cls == "s-other" && p.count == 0) continue;
    out->append("<li><span class=\"dot ").append(p.cls).append("\"></span>");
    out->append(FormatGrouped(std::max<int64_t>(0, p.count))).append(" ");
    out->append(p.label).append("</li>\n");
  }
  out->append("</ul>\n</section>\n");
}

void AppendFailedStep(std::string* out, const FailedStepReport& s) {
  out->append("<article class=\"step\">\n<h3><span class=\"step-name\">");
  out->append(Esc(s.name)).append("</span> <code>");
  out->append(Esc(s.step_id)).append("</code>");
  out->append(" <span class=\"badge grey\">attempt ");
  out->append(std::to_string(s.attempt)).append("</span></h3>\n");
  out->append("<div class=\"meta\">");
  if (!s.started && !s.ended) {
    out->append("no start or end time recorded");
  } else {
    out->append("started ").append(TimeCell(s.started));
    out->append(" &middot; ended ").append(TimeCell(s.ended));
  }
  if (s.started && s.ended) {
    out->append(" &middot; took ");
    out->append(
        FormatHumanDuration(static_cast<double>(*s.ended - *s.started)));
  }
  out->append("</div>\n");
  if (!s.error_message) {
    out->append("<p class=\"muted\">No error message recorded.</p>\n");
  } else if (s.error_message->empty()) {
    out->append("<p class=\"muted\">The error message is empty.</p>\n");
  } else {
    out->append("<pre class=\"error\">");
    AppendHtmlEscaped(out, *s.error_message);
    out->append("</pre>\n");
  }
  out->append("</article>\n");
}

void AppendFailedSteps(std::string* out, const RunReport& r) {
  out->append("<section class=\"card\">\n<h2>Failed steps");
  if (!r.failed_steps.empty()) {
    out->append(" (").append(FormatGrouped(r.failed_steps.size()));
    out->append(")");
  }
  out->append("</h2>\n");
  if (r.failed_steps.empty()) {
    out->append("<p class=\"muted\">No step failed.</p>\n");
  }
  for (const FailedStepReport& step : r.failed_steps) {
    AppendFailedStep(out, step);
  }
  out->append("</section>\n");
}

void AppendEvents(std::string* out, const RunReport& r) {
  out->append("<section class=\"card\">\n<h2>Events</h2>\n");
  out->append("<table class=\"kv\">\n");
  Row(out, "Total", FormatGrouped(std::max<int64_t>(0, r.events_total)));
  Row(out, "Errors",
      FormatGrouped(std::max<int64_t>(0, r.events_errors)) +
          " <span class=\"muted\">(severity error or critical)</span>");
  out->append("</table>\n</section>\n");
}

void AppendArchive(std::string* out, const RunReport& r) {
  const ArchiveReport& a = r.archive;
  out->append("<section class=\"card\">\n<h2>Archive</h2>\n");
  out->append("<table class=\"kv\">\n");
  Row(out, "Integrity",
      Badge(IntegrityClass(a.integrity),
            a.integrity.empty() ? "unknown" : a.integrity));
  Row(out, "Path",
      a.path ? "<code>" + Esc(*a.path) + "</code>" : std::string(kMissing));
  Row(out, "Size",
      a.size_bytes
          ? FormatHumanBytes(*a.size_bytes) + " <span class=\"muted\">(" +
                FormatGrouped(*a.size_bytes) + " bytes)</span>"
          : std::string(kMissing));
  Row(out, "SHA-256",
      a.sha256 ? "<code class=\"hash\">" + Esc(*a.sha256) + "</code>"
               : std::string(kMissing));
  out->append("</table>\n</section>\n");
}

}  // namespace

std::string RenderReportHtml(const RunReport& report) {
  std::string out(kHead);
  AppendHeader(&out, report);
  AppendTiles(&out, report);
  AppendSummary(&out, report);
  AppendSteps(&out, report);
  AppendFailedSteps(&out, report);
  AppendEvents(&out, report);
  AppendArchive(&out, report);
  out.append("<footer>Generated ");
  out.append(TimeCell(report.generated_at));
  out.append(" by pipeline_exporter</footer>\n</main>\n</body>\n</html>\n");
  return out;
}

}  // namespace pe
