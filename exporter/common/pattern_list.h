#ifndef PIPELINE_EXPORTER_COMMON_PATTERN_LIST_H_
#define PIPELINE_EXPORTER_COMMON_PATTERN_LIST_H_

#include <cstddef>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/common/status.h"

namespace pe {

// A regular expression that must match a whole value, as Prometheus'
// relabelling regexes do: "team-.*" selects "team-a", not "my-team-a".
// ECMAScript syntax (std::regex). Copies share the compiled expression.
//
// libstdc++'s std::regex matches recursively, a frame or more per byte
// (".*" overflows an 8 MiB stack at about 30 kB), so both sides are bounded:
// an expression is at most kMaxPatternBytes, and a value longer than
// kMaxValueBytes matches nothing. Callers match values as their labels show
// them (at most 128 bytes, SanitizeLabelValue), far below either bound.
class FullMatch {
 public:
  static constexpr std::size_t kMaxPatternBytes = 1024;
  static constexpr std::size_t kMaxValueBytes = 4096;

  // InvalidArgument describing the expression when it does not compile.
  static Result<FullMatch> Compile(std::string_view pattern);

  bool Matches(std::string_view value) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::shared_ptr<const std::regex> regex_;
};

// A comma-separated list of such expressions ("a,b.*"), blanks around each
// ignored, empty entries refused; "" is the empty list.
Result<std::vector<FullMatch>> CompilePatternList(std::string_view text);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_PATTERN_LIST_H_
