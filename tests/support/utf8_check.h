#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_UTF8_CHECK_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_UTF8_CHECK_H_

#include <string_view>

namespace pe::testing {

// Whether every byte of s belongs to a well-formed UTF-8 sequence.
bool IsValidUtf8(std::string_view s);

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_UTF8_CHECK_H_
