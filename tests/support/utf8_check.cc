#include "tests/support/utf8_check.h"

#include "exporter/common/utf8.h"

namespace pe::testing {

bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace pe::testing
