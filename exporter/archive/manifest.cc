#include "exporter/archive/manifest.h"

namespace pe {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string FormatManifest(const Manifest& manifest) {
  std::string out;
  for (const auto& [name, hex] : manifest) {
    const bool escape = name.find_first_of("\\\n") != std::string::npos;
    if (escape) out.push_back('\\');
    out += hex;
    out += "  ";
    for (char c : name) {
      if (escape && c == '\\') {
        out += "\\\\";
      } else if (escape && c == '\n') {
        out += "\\n";
      } else {
        out.push_back(c);
      }
    }
    out.push_back('\n');
  }
  return out;
}

Result<Manifest> ParseManifest(std::string_view text) {
  Manifest manifest;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return Status::Corruption("manifest line " + std::to_string(line_no) +
                                " has no newline");
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    const auto bad = [&](const char* why) {
      return Status::Corruption("manifest line " + std::to_string(line_no) +
                                ": " + why);
    };
    const bool escaped = !line.empty() && line[0] == '\\';
    if (escaped) line.remove_prefix(1);
    if (line.size() < 67 || line.substr(64, 2) != "  ") {
      return bad("not '<64 hex>  <name>'");
    }
    std::string_view hex = line.substr(0, 64);
    if (!IsLowerHex(hex)) return bad("digest is not lower-case hex");
    std::string_view raw = line.substr(66);
    std::string name;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (escaped && raw[i] == '\\') {
        if (i + 1 >= raw.size()) return bad("dangling escape");
        ++i;
        if (raw[i] == '\\') {
          name.push_back('\\');
        } else if (raw[i] == 'n') {
          name.push_back('\n');
        } else {
          return bad("unknown escape");
        }
      } else {
        name.push_back(raw[i]);
      }
    }
    if (!manifest.emplace(std::move(name), std::string(hex)).second) {
      return bad("name listed twice");
    }
  }
  return manifest;
}

}  // namespace pe
