#ifndef PIPELINE_EXPORTER_TOOLS_SIM_ERROR_TEXT_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_ERROR_TEXT_H_

#include <cstddef>
#include <string>

#include "tools/sim/rng.h"

namespace pe::sim {

// An error_message as a failing Python step leaves it: tracebacks, OSError
// texts, HTML fragments with quotes, non-ASCII, several lines, now and then
// kilobytes long.
std::string MakeErrorMessage(Rng& rng, const std::string& step_name);

// The same, lengthened with traceback frames or cut (at a character
// boundary) to `bytes`.
std::string MakeErrorMessage(Rng& rng, const std::string& step_name,
                             size_t bytes);

// The first line of an error message (the exception type and text), for
// event data.
std::string ErrorSummary(const std::string& message);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_ERROR_TEXT_H_
