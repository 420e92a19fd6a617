#include "exporter/common/read_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pe {

Result<std::string> ReadConfigFile(const std::string& path,
                                   std::string_view what) {
  const std::string context = std::string(what) + " '" + path + "'";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(context + ": cannot read: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(context +
                                   ": cannot read: " + std::strerror(errno));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return Status::InvalidArgument(context + ": cannot read: I/O error");
  }
  return contents.str();
}

}  // namespace pe
