#include "exporter/common/sqlite_status.h"

#include <sqlite3.h>

namespace pe {

Status SqliteErrorToStatus(int code, const std::string& what,
                           const std::string& message) {
  const std::string text = what + ": " + message;
  switch (code & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(text);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(text);
    case SQLITE_CANTOPEN:
      return Status::NotFound(text);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return Status::IoError(text);
    case SQLITE_ERROR:
      if (message.find("no such table") != std::string::npos ||
          message.find("no such column") != std::string::npos) {
        return Status::NotFound(text);
      }
      return Status::Internal(text);
    default:
      return Status::Internal(text);
  }
}

}  // namespace pe
