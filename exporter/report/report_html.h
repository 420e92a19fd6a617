#ifndef PIPELINE_EXPORTER_REPORT_REPORT_HTML_H_
#define PIPELINE_EXPORTER_REPORT_REPORT_HTML_H_

#include <string>

#include "exporter/report/run_report.h"

namespace pe {

// Renders a run's summary as `<run_id>_summary.html`: one self-contained
// UTF-8 page for people. Deterministic (same report, same bytes).
//
// Sections: a header with the run id and a coloured status badge; tiles
// with duration, steps, failures and events; a summary table (project,
// phase, workstream, created/started/ended in RFC 3339 UTC, duration as
// "1h 02m 03s"); the step counts as a stacked bar with a legend; every
// failed step with its error text whole in a wrapped, scrollable <pre>;
// events; the archive (path, size in binary units and bytes, SHA-256,
// integrity with a badge); the generation time.
//
// Safety: every value from the database goes through AppendHtmlEscaped
// (html_escape.h), and no database text ever chooses a tag, an attribute
// name or a CSS class (the badge colours come from a fixed mapping). The
// page holds no script and loads nothing: the only CSS is one inline
// <style>, and a Content-Security-Policy <meta> ("default-src 'none';
// style-src 'unsafe-inline'") blocks scripts, images, fonts and frames as
// defence in depth.
std::string RenderReportHtml(const RunReport& report);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_REPORT_HTML_H_
