#include "exporter/archive/archive_verify.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "exporter/archive/manifest.h"
#include "exporter/archive/zip_handles.h"
#include "exporter/common/sha256.h"
#include "exporter/common/unique_fd.h"

namespace pe {
namespace {

constexpr std::size_t kBufferBytes = 256 * 1024;

// Hashes the whole file at `path`; false with `problem` set on error.
bool HashFile(const std::string& path, VerifyResult& result) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    result.problem = "open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::vector<char> buf(kBufferBytes);
  Sha256 sha;
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.problem = "read '" + path + "': " + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    sha.Update(buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  result.archive_bytes = total;
  result.archive_sha256 = Sha256::Hex(sha.Finish());
  return true;
}

// Why `name` may not be in a run archive, or "" when it may.
std::string NameProblem(const std::string& name, const std::string& prefix) {
  if (name == kManifestName) return "";
  if (name.rfind(prefix, 0) != 0) return "is not under '" + prefix + "'";
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    const std::string_view part(name.data() + start, end - start);
    if (part == "..") return "has a '..' component";
    if (part.empty() && end != name.size()) return "has an empty component";
    start = end + 1;
  }
  return "";
}

bool IsSymlinkEntry(zip_t* zip, zip_uint64_t index) {
  zip_uint8_t opsys = 0;
  zip_uint32_t attributes = 0;
  if (zip_file_get_external_attributes(zip, index, 0, &opsys, &attributes) !=
      0) {
    return false;
  }
  return opsys == ZIP_OPSYS_UNIX && S_ISLNK(attributes >> 16);
}

// What reading one entry found.
struct EntryCheck {
  std::string name;
  bool is_dir = false;
  bool has_size = false;
  std::uint64_t size = 0;
  std::uint64_t read_bytes = 0;
  std::string sha256_hex;
  std::string content;  // the manifest's text only
  std::string problem;
};

// Reads entry `index` of `zip` to EOF (the CRC is checked there).
void ReadEntry(zip_t* zip, zip_uint64_t index, EntryCheck& check,
               std::vector<char>& buf) {
  ZipEntryReader entry(zip_fopen_index(zip, index, 0));
  if (entry.get() == nullptr) {
    check.problem = "open entry '" + check.name + "': " + zip_strerror(zip);
    return;
  }
  Sha256 sha;
  const bool keep = check.name == kManifestName;
  for (;;) {
    const zip_int64_t n = zip_fread(entry.get(), buf.data(), buf.size());
    if (n < 0) {
      check.problem =
          "read entry '" + check.name + "': " + zip_file_strerror(entry.get());
      return;
    }
    if (n == 0) break;
    sha.Update(buf.data(), static_cast<std::size_t>(n));
    if (keep) check.content.append(buf.data(), static_cast<std::size_t>(n));
    check.read_bytes += static_cast<std::uint64_t>(n);
  }
  if (check.has_size && check.read_bytes != check.size) {
    check.problem = "entry '" + check.name + "': read " +
                    std::to_string(check.read_bytes) +
                    " bytes, recorded size " + std::to_string(check.size);
    return;
  }
  check.sha256_hex = Sha256::Hex(sha.Finish());
}

// Reads entries of the archive at `path` on its own zip_t (a zip_t is not
// thread-safe), taking indices from `next` until none are left.
void ReadEntries(const std::string& path, std::vector<EntryCheck>& checks,
                 std::atomic<std::size_t>& next) {
  int err = 0;
  ZipArchive zip(zip_open(path.c_str(), ZIP_RDONLY, &err));
  std::vector<char> buf(kBufferBytes);
  for (std::size_t i = next++; i < checks.size(); i = next++) {
    if (!zip) {
      checks[i].problem = "reopen '" + path + "' failed";
      continue;
    }
    ReadEntry(zip.get(), i, checks[i], buf);
  }
}

}  // namespace

VerifyResult VerifyArchive(const std::string& path,
                           const std::string& expected_run_id) {
  VerifyResult result;
  int open_error = 0;
  ZipArchive zip(
      zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &open_error));
  if (!zip) {
    zip_error_t error;
    zip_error_init_with_code(&error, open_error);
    result.problem = "open '" + path + "': " + ZipErrorText(&error);
    zip_error_fini(&error);
    return result;
  }
  const std::string prefix = expected_run_id + "/";
  const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  result.entries = static_cast<std::uint64_t>(count < 0 ? 0 : count);

  std::vector<EntryCheck> checks(result.entries);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    zip_stat_t st;
    if (zip_stat_index(zip.get(), i, 0, &st) != 0) {
      result.problem =
          "stat entry " + std::to_string(i) + ": " + zip_strerror(zip.get());
      return result;
    }
    EntryCheck& check = checks[i];
    check.name = st.name;  // st.name dies with the archive
    check.is_dir = !check.name.empty() && check.name.back() == '/';
    check.has_size = (st.valid & ZIP_STAT_SIZE) != 0;
    check.size = st.size;
    const std::string bad = NameProblem(check.name, prefix);
    if (!bad.empty()) {
      result.problem = "entry '" + check.name + "' " + bad;
      return result;
    }
    if (check.is_dir && IsSymlinkEntry(zip.get(), i)) {
      result.problem =
          "entry '" + check.name + "' is a directory marked symlink";
      return result;
    }
  }
  zip.Discard();

  // Entries are read (inflate, CRC, SHA-256) on one thread per core; the
  // calling thread hashes the archive file first, then joins in.
  std::atomic<std::size_t> next{0};
  const unsigned helpers =
      std::clamp(std::thread::hardware_concurrency(), 1u, 8u) - 1;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < helpers && t + 1 < checks.size(); ++t) {
    threads.emplace_back([&] { ReadEntries(path, checks, next); });
  }
  const bool hashed = HashFile(path, result);
  ReadEntries(path, checks, next);
  for (std::thread& t : threads) t.join();
  if (!hashed) return result;

  Manifest hashes;  // name -> hex, files and symlinks
  const EntryCheck* manifest_entry = nullptr;
  for (const EntryCheck& check : checks) {
    if (!check.problem.empty()) {
      result.problem = check.problem;
      return result;
    }
    result.bytes += check.read_bytes;
    if (check.name == kManifestName) {
      manifest_entry = &check;
    } else if (!check.is_dir) {
      hashes[check.name] = check.sha256_hex;
    }
  }
  if (manifest_entry == nullptr) {
    result.problem = "no " + std::string(kManifestName) + " entry";
    return result;
  }
  Result<Manifest> manifest = ParseManifest(manifest_entry->content);
  if (!manifest.ok()) {
    result.problem = manifest.status().message();
    return result;
  }
  for (const auto& [name, hex] : *manifest) {
    auto it = hashes.find(name);
    if (it == hashes.end()) {
      result.problem = "manifest lists '" + name + "', not in the archive";
      return result;
    }
    if (it->second != hex) {
      result.problem = "SHA-256 of '" + name + "' is " + it->second +
                       ", manifest says " + hex;
      return result;
    }
  }
  for (const auto& [name, hex] : hashes) {
    if (manifest->find(name) == manifest->end()) {
      result.problem = "entry '" + name + "' is missing from the manifest";
      return result;
    }
  }
  result.ok = true;
  return result;
}

}  // namespace pe
