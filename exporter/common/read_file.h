#ifndef PIPELINE_EXPORTER_COMMON_READ_FILE_H_
#define PIPELINE_EXPORTER_COMMON_READ_FILE_H_

#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

// The whole content of a (small) configuration file. Errors are
// InvalidArgument "<what> '<path>': cannot read: <reason>" (a directory,
// a missing or unreadable file, an I/O error), as configuration errors
// are reported.
Result<std::string> ReadConfigFile(const std::string& path,
                                   std::string_view what);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_READ_FILE_H_
