#ifndef PIPELINE_EXPORTER_COMMON_UNIQUE_FD_H_
#define PIPELINE_EXPORTER_COMMON_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace pe {

// Owns a file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Closes now and reports the result (close can fail on NFS, quota...).
  int Close() { return ::close(release()); }

 private:
  int fd_ = -1;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_UNIQUE_FD_H_
