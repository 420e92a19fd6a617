#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_TEMP_DIR_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_TEMP_DIR_H_

#include <filesystem>
#include <string>

namespace pe::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_TEMP_DIR_H_
