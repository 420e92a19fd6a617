#ifndef PIPELINE_EXPORTER_TESTS_ARCHIVE_ARCHIVE_TEST_UTIL_H_
#define PIPELINE_EXPORTER_TESTS_ARCHIVE_ARCHIVE_TEST_UTIL_H_

#include <sys/stat.h>
#include <zip.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

namespace pe::testing {

inline void WriteFile(const std::filesystem::path& path,
                      const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Names of everything directly in `dir`.
inline std::set<std::string> ListNames(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

// Runs a shell command, returns its exit status (-1 if it did not exit).
inline int RunShell(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// One entry of a zip, as read back with libzip.
struct ZipEntryInfo {
  std::string content;
  zip_uint16_t comp_method = 0;
  zip_uint8_t opsys = 0;
  zip_uint32_t attributes = 0;
};

// Every entry of the zip at `path` by name (empty map if it cannot be read).
inline std::map<std::string, ZipEntryInfo> ReadZip(const std::string& path) {
  std::map<std::string, ZipEntryInfo> out;
  int err = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (zip == nullptr) return out;
  const zip_int64_t n = zip_get_num_entries(zip, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_index(zip, i, 0, &st);
    ZipEntryInfo info;
    info.comp_method = st.comp_method;
    zip_file_get_external_attributes(zip, i, 0, &info.opsys, &info.attributes);
    zip_file_t* f = zip_fopen_index(zip, i, 0);
    char buf[4096];
    zip_int64_t got;
    while (f != nullptr && (got = zip_fread(f, buf, sizeof(buf))) > 0) {
      info.content.append(buf, static_cast<std::size_t>(got));
    }
    if (f != nullptr) zip_fclose(f);
    out[st.name] = std::move(info);
  }
  zip_discard(zip);
  return out;
}

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_ARCHIVE_ARCHIVE_TEST_UTIL_H_
