#ifndef PIPELINE_EXPORTER_CONFIG_HELP_H_
#define PIPELINE_EXPORTER_CONFIG_HELP_H_

#include <span>
#include <string>

#include "exporter/config/options.h"

namespace pe {

// Text for --help, generated from the option table: usage, then one line
// per flag with placeholder, help and default, wrapped at 100 columns.
std::string HelpText(std::span<const Option> options);

// "pipeline_exporter, version 0.1.0 (revision: 0123abcd)\n".
std::string VersionText();

// The Markdown reference table for options (see ConfigReferenceMarkdown).
std::string ReferenceMarkdown(std::span<const Option> options);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_CONFIG_HELP_H_
