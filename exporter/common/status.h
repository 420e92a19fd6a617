#ifndef PIPELINE_EXPORTER_COMMON_STATUS_H_
#define PIPELINE_EXPORTER_COMMON_STATUS_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace pe {

// Errors are values. A Status is either OK or carries a code and a message
// that names the operation and its subject ("open state db 'x': ...").
class Status {
 public:
  enum class Code {
    kOk,
    kNotFound,         // a file, table, column or row that is not there
    kInvalidArgument,  // bad configuration or input
    kBusy,             // the database is locked by another connection
    kCorruption,       // not a database, malformed, truncated
    kIoError,          // file system or network failure
    kInternal,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) {
    return {Code::kNotFound, std::move(msg)};
  }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status Busy(std::string msg) { return {Code::kBusy, std::move(msg)}; }
  static Status Corruption(std::string msg) {
    return {Code::kCorruption, std::move(msg)};
  }
  static Status IoError(std::string msg) {
    return {Code::kIoError, std::move(msg)};
  }
  static Status Internal(std::string msg) {
    return {Code::kInternal, std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Short stable name of the code, usable as a metric label value.
  const char* CodeName() const;
  std::string ToString() const;

  // Returns a copy whose message is prefixed with "context: ".
  Status WithContext(const std::string& context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_STATUS_H_
