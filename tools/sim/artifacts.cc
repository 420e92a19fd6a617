#include "tools/sim/artifacts.h"

#include <zlib.h>

#include <fstream>
#include <system_error>

#include "tools/sim/catalog.h"
#include "tools/sim/rng.h"

namespace pe::sim {
namespace {

namespace fs = std::filesystem;

Status WriteFile(const fs::path& path, const std::string& content,
                 std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(path, std::ios::binary | std::ios::out | mode);
  out << content;
  out.close();
  if (!out) return Status::IoError("write '" + path.string() + "'");
  return Status::Ok();
}

Status WriteGzip(const fs::path& path, const std::string& content) {
  gzFile gz = gzopen(path.c_str(), "wb");
  if (gz == nullptr) return Status::IoError("gzopen '" + path.string() + "'");
  const int written =
      gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
  const int closed = gzclose(gz);
  if (written != static_cast<int>(content.size()) || closed != Z_OK) {
    return Status::IoError("gzip '" + path.string() + "'");
  }
  return Status::Ok();
}

Status MakeDirs(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    return Status::IoError("create folder '" + path.string() +
                           "': " + ec.message());
  }
  return Status::Ok();
}

uint64_t HashId(const std::string& id) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : id) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

std::string LogLines(Rng& rng, const std::string& run_id, int lines) {
  std::string out;
  for (int i = 0; i < lines; ++i) {
    out += "[" + std::to_string(i) + "] run " + run_id +
           " level=" + (rng.Chance(0.1) ? "WARNING" : "INFO") + " processed " +
           std::to_string(rng.Below(100000)) + " records\n";
  }
  return out;
}

}  // namespace

Status CreateRunArtifacts(const fs::path& worktrees, const std::string& run_id,
                          int steps) {
  Rng rng(HashId(run_id));
  const fs::path root = worktrees / run_id;
  for (const char* dir : {"logs", "output data", "work/stage/deep"}) {
    if (Status s = MakeDirs(root / dir); !s.ok()) return s;
  }
  if (rng.Chance(0.5)) {
    if (Status s = MakeDirs(root / "tmp" / "empty"); !s.ok()) return s;
  }
  Status s =
      WriteFile(root / "logs" / "orchestrator.log",
                LogLines(rng, run_id, static_cast<int>(rng.Between(5, 40))));
  if (s.ok()) {
    s = WriteFile(root / "output data" / "result summary.json",
                  "{\"run_id\": \"" + run_id + "\", \"steps\": " +
                      std::to_string(steps) + ", \"ok\": true}\n");
  }
  if (s.ok()) {
    s = WriteFile(root / "output data" / "résumé ü 数据.txt",
                  "Zusammenfassung: größer als erwartet – ok\n");
  }
  if (s.ok()) {
    s = WriteFile(root / "work/stage/deep" / "manifest.txt",
                  "steps=" + std::to_string(steps) + "\n");
  }
  if (s.ok()) {
    s = WriteGzip(
        root / "logs" / "previous.log.gz",
        LogLines(rng, run_id, static_cast<int>(rng.Between(50, 200))));
  }
  return s.ok() ? s : s.WithContext("artifacts of run " + run_id);
}

Status AppendStepLog(const fs::path& worktrees, const std::string& run_id,
                     const std::string& step_id, const std::string& line) {
  const fs::path root = worktrees / run_id;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::Ok();  // none, or archived
  const fs::path logs = root / "logs";
  if (Status s = MakeDirs(logs); !s.ok()) return s;
  return WriteFile(logs / (step_id + ".log"), line + "\n", std::ios::app);
}

}  // namespace pe::sim
