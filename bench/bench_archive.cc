// Archive + verify of one run's worktree with pe::WriteRunArchive.
//
//   build/bench/bench_archive --tree /tmp/x/bench-run --out /tmp/x/out.zip
//       [--seed 42] [--level 6] [--threads 0] [--generate-only]
//
// Creates the tree if it is missing (deterministic for a seed, ~100 MiB):
// 200 text logs of ~0.3 MiB, 40 MiB of random binary in 4 files, 20 gzip
// files of log-like text. Then times one archival (which includes the
// writer's built-in VerifyArchive) and prints one line:
//   seconds=<s> archive_bytes=<n> input_bytes=<n> stored_files=<n>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "exporter/archive/archive_writer.h"

namespace {

namespace fs = std::filesystem;

const char* const kLevels[] = {"INFO",  "INFO", "INFO",
                               "DEBUG", "WARN", "ERROR"};
const char* const kComponents[] = {"scheduler", "worker", "fetch", "transform",
                                   "db",        "http",   "cache", "export"};
const char* const kMessages[] = {
    "step started",
    "step completed in %d ms",
    "fetched %d rows from upstream",
    "retrying request after timeout (attempt %d)",
    "cache miss for key",
    "wrote batch of %d records",
    "connection pool size=%d",
    "validation failed: field 'amount' out of range (%d)",
};

// One realistic log line: ISO timestamp, level, component, message, ids.
std::string LogLine(std::mt19937_64& rng, long seq) {
  char msg[128];
  std::snprintf(msg, sizeof(msg), kMessages[rng() % 8],
                static_cast<int>(rng() % 5000));
  char line[320];
  std::snprintf(line, sizeof(line),
                "2024-05-%02d T%02d:%02d:%02d.%03dZ %-5s [%s] run=%016llx "
                "step=%03d seq=%ld %s\n",
                static_cast<int>(1 + seq / 86400 % 28),
                static_cast<int>(seq / 3600 % 24),
                static_cast<int>(seq / 60 % 60), static_cast<int>(seq % 60),
                static_cast<int>(rng() % 1000), kLevels[rng() % 6],
                kComponents[rng() % 8],
                static_cast<unsigned long long>(rng() & 0xffffffffffffULL),
                static_cast<int>(rng() % 200), seq, msg);
  return line;
}

std::string LogText(std::mt19937_64& rng, std::size_t bytes, long& seq) {
  std::string text;
  while (text.size() < bytes) text += LogLine(rng, seq++);
  return text;
}

bool Generate(const fs::path& tree, unsigned seed) {
  std::mt19937_64 rng(seed);
  long seq = 0;
  fs::create_directories(tree / "logs");
  fs::create_directories(tree / "data");
  fs::create_directories(tree / "compressed");
  for (int i = 0; i < 200; ++i) {
    std::ofstream(tree / "logs" / ("step_" + std::to_string(i) + ".log"),
                  std::ios::binary)
        << LogText(rng, 300 * 1024, seq);
  }
  for (int i = 0; i < 4; ++i) {
    std::string blob(10 << 20, '\0');
    for (std::size_t j = 0; j + 8 <= blob.size(); j += 8) {
      const std::uint64_t v = rng();
      std::memcpy(&blob[j], &v, 8);
    }
    std::ofstream(tree / "data" / ("blob_" + std::to_string(i) + ".bin"),
                  std::ios::binary)
        << blob;
  }
  for (int i = 0; i < 20; ++i) {
    const std::string path =
        (tree / "compressed" / ("events_" + std::to_string(i) + ".log.gz"))
            .string();
    gzFile gz = gzopen(path.c_str(), "wb6");
    if (gz == nullptr) return false;
    const std::string text = LogText(rng, 1 << 20, seq);
    gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    gzclose(gz);
  }
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: bench_archive --tree DIR --out FILE.zip [--seed N] "
               "[--level 1..9] [--threads N] [--generate-only]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tree, out;
  unsigned seed = 42;
  pe::ArchiveOptions options;
  bool generate_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--tree" && i + 1 < argc) {
      tree = argv[++i];
    } else if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--level" && i + 1 < argc) {
      options.deflate_level = std::atoi(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      options.deflate_threads = std::atoi(argv[++i]);
    } else if (arg == "--generate-only") {
      generate_only = true;
    } else {
      return Usage();
    }
  }
  if (tree.empty() || (out.empty() && !generate_only)) return Usage();
  const fs::path tree_path = fs::path(tree);
  const fs::path marker = tree_path.string() + ".complete";
  if (!fs::exists(marker)) {
    fs::remove_all(tree_path);
    if (!Generate(tree_path, seed)) {
      std::fprintf(stderr, "could not generate %s\n", tree.c_str());
      return 1;
    }
    std::ofstream(marker) << seed << "\n";
  }
  if (generate_only) return 0;

  const auto start = std::chrono::steady_clock::now();
  pe::ArchiveResult result =
      pe::WriteRunArchive(tree, tree_path.filename().string(), out, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!result.ok()) {
    std::fprintf(stderr, "archive failed (%s): %s\n",
                 pe::ArchiveFailureName(result.failure),
                 result.status.ToString().c_str());
    return 1;
  }
  std::printf(
      "seconds=%.3f archive_bytes=%llu input_bytes=%llu "
      "stored_files=%llu\n",
      seconds, static_cast<unsigned long long>(result.stats.archive_bytes),
      static_cast<unsigned long long>(result.stats.input_bytes),
      static_cast<unsigned long long>(result.stats.stored_files));
  return 0;
}
