#ifndef PIPELINE_EXPORTER_COMMON_SQLITE_CACHE_H_
#define PIPELINE_EXPORTER_COMMON_SQLITE_CACHE_H_

namespace pe {

// The page cache of each of the exporter's SQLite connections: 512 KiB
// instead of SQLite's default 2000 KiB. The interior pages of the indexes
// that the incremental queries walk fit in it; the full reads (start-up,
// resync) stream through tables far larger than any cache, and the pages
// they evict are re-read from the kernel's page cache, not from disk. The
// worker's connections each have one too, so the saving counts several
// times (docs/design.md, "Memory"; docs/benchmarks.md).
inline constexpr const char* kPageCachePragma = "PRAGMA cache_size = -512";

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_SQLITE_CACHE_H_
