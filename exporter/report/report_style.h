#ifndef PIPELINE_EXPORTER_REPORT_REPORT_STYLE_H_
#define PIPELINE_EXPORTER_REPORT_REPORT_STYLE_H_

#include <string_view>

namespace pe {

// The CSS of the HTML report, inlined into its <style> element (the page
// loads nothing). Light theme, system fonts, no url() and no @import.
// Classes the renderer uses: badge colours ok/warn/bad/quar/info/grey,
// tiles, card sections, the kv table, the step bar (s-completed, s-failed,
// s-skipped, s-other) and pre.error (wrapped, scrollable past 26em).
std::string_view ReportStylesheet();

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_REPORT_STYLE_H_
