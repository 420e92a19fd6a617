#include "exporter/common/pattern_list.h"

namespace pe {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

Result<FullMatch> FullMatch::Compile(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return Status::InvalidArgument(
        "regular expression of " + std::to_string(pattern.size()) +
        " bytes, longer than " + std::to_string(kMaxPatternBytes));
  }
  FullMatch match;
  match.pattern_ = std::string(pattern);
  try {
    match.regex_ = std::make_shared<const std::regex>(
        match.pattern_, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("invalid regular expression \"" +
                                   match.pattern_ + "\": " + e.what());
  }
  return match;
}

bool FullMatch::Matches(std::string_view value) const {
  if (value.size() > kMaxValueBytes) return false;
  return std::regex_match(value.begin(), value.end(), *regex_);
}

Result<std::vector<FullMatch>> CompilePatternList(std::string_view text) {
  std::vector<FullMatch> list;
  if (Trim(text).empty()) return list;
  for (;;) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = Trim(text.substr(0, comma));
    if (entry.empty()) {
      return Status::InvalidArgument(
          "empty entry in the list \"" + std::string(text) +
          "\" (separate names or regular expressions with single commas)");
    }
    Result<FullMatch> match = FullMatch::Compile(entry);
    if (!match.ok()) return match.status();
    list.push_back(std::move(*match));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return list;
}

}  // namespace pe
