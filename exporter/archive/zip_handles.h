#ifndef PIPELINE_EXPORTER_ARCHIVE_ZIP_HANDLES_H_
#define PIPELINE_EXPORTER_ARCHIVE_ZIP_HANDLES_H_

#include <zip.h>

#include <string>
#include <utility>

namespace pe {

// Owns a zip_t. Destruction discards it (no file is written); Close() writes
// it. Not thread-safe, like the zip_t itself.
class ZipArchive {
 public:
  ZipArchive() = default;
  explicit ZipArchive(zip_t* zip) : zip_(zip) {}
  ~ZipArchive() { Discard(); }
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  zip_t* get() const { return zip_; }
  explicit operator bool() const { return zip_ != nullptr; }
  // zip_close; on success the handle is gone. On failure it stays owned (the
  // caller reads zip_get_error, then Discard()s or lets the destructor).
  bool Close() {
    if (zip_close(zip_) != 0) return false;
    zip_ = nullptr;
    return true;
  }
  void Discard() {
    if (zip_ != nullptr) zip_discard(zip_);
    zip_ = nullptr;
  }

 private:
  zip_t* zip_ = nullptr;
};

// Owns a zip_source_t until it is handed to zip_file_add (release()).
class ZipSource {
 public:
  explicit ZipSource(zip_source_t* source) : source_(source) {}
  ~ZipSource() {
    if (source_ != nullptr) zip_source_free(source_);
  }
  ZipSource(const ZipSource&) = delete;
  ZipSource& operator=(const ZipSource&) = delete;

  zip_source_t* get() const { return source_; }
  zip_source_t* release() { return std::exchange(source_, nullptr); }

 private:
  zip_source_t* source_;
};

// Owns an entry opened for reading (zip_fopen_index).
class ZipEntryReader {
 public:
  explicit ZipEntryReader(zip_file_t* file) : file_(file) {}
  ~ZipEntryReader() {
    if (file_ != nullptr) zip_fclose(file_);
  }
  ZipEntryReader(const ZipEntryReader&) = delete;
  ZipEntryReader& operator=(const ZipEntryReader&) = delete;

  zip_file_t* get() const { return file_; }

 private:
  zip_file_t* file_;
};

// "libzip message" for an error (code and system error).
inline std::string ZipErrorText(zip_error_t* error) {
  return zip_error_strerror(error);
}

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_ZIP_HANDLES_H_
