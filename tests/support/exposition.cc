#include "tests/support/exposition.h"

#include <cstdlib>
#include <string>

namespace pe::testing {
namespace {

template <typename Fn>
void ForEachLine(std::string_view body, Fn&& fn) {
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    fn(body.substr(start, end - start));
    start = end + 1;
  }
}

bool IsSampleOf(std::string_view line, std::string_view name) {
  if (line.rfind(name, 0) != 0 || line.size() <= name.size()) return false;
  const char next = line[name.size()];
  return next == '{' || next == ' ';
}

}  // namespace

std::optional<double> Sample(std::string_view body, std::string_view series) {
  std::optional<double> value;
  ForEachLine(body, [&](std::string_view line) {
    if (line.size() > series.size() && line.rfind(series, 0) == 0 &&
        line[series.size()] == ' ') {
      value = std::strtod(std::string(line.substr(series.size() + 1)).c_str(),
                          nullptr);
    }
  });
  return value;
}

int CountSamples(std::string_view body, std::string_view name) {
  int n = 0;
  ForEachLine(body, [&](std::string_view line) {
    if (IsSampleOf(line, name)) ++n;
  });
  return n;
}

bool Mentions(std::string_view body, std::string_view text) {
  bool found = false;
  ForEachLine(body, [&](std::string_view line) {
    if (!line.empty() && line[0] != '#' &&
        line.find(text) != std::string_view::npos) {
      found = true;
    }
  });
  return found;
}

std::string WithoutFamilies(std::string_view body,
                            std::initializer_list<std::string_view> names) {
  std::string out;
  ForEachLine(body, [&](std::string_view line) {
    for (std::string_view name : names) {
      std::string_view rest = line;
      if (rest.rfind("# HELP ", 0) == 0 || rest.rfind("# TYPE ", 0) == 0) {
        rest = rest.substr(7);
      }
      if (rest.rfind(name, 0) == 0) return;
    }
    out.append(line).append("\n");
  });
  return out;
}

}  // namespace pe::testing
