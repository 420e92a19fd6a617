#include "tools/sim/error_text.h"

#include <string_view>

namespace pe::sim {
namespace {

constexpr std::string_view kOneLiners[] = {
    "OSError: [Errno 28] No space left on device",
    "TimeoutError: step exceeded its deadline of 3600s",
    "subprocess.CalledProcessError: Command '['make', '-j8']' returned "
    "non-zero exit status 2.",
    "KeyError: 'workstream_id'",
    "PermissionError: [Errno 13] Permission denied: "
    "'/var/lib/orchestrator/cache/lock'",
    "ConnectionResetError: [Errno 104] Connection reset by peer",
    "ValueError: invalid literal for int() with base 10: 'n/a'",
    "RuntimeError: Fehler beim Öffnen der Datei »Übersicht.csv« (größe "
    "unbekannt) – 文件未找到",
    "AssertionError: expected \"ready\" but got 'degraded' <status>",
};

constexpr std::string_view kHtml[] = {
    "upstream returned HTTP 502: <html><head><title>502 Bad "
    "Gateway</title></head><body><b>oops</b> &amp; \"retry\" later</body>"
    "</html>",
    "<b>oops</b> something went wrong in 'render' -> <script>alert(\"x\")"
    "</script>",
};

std::string Traceback(Rng& rng, const std::string& step_name) {
  std::string out = "Traceback (most recent call last):\n";
  const int frames = static_cast<int>(rng.Between(2, 5));
  for (int i = 0; i < frames; ++i) {
    out += "  File \"/opt/orchestrator/pipeline/steps/" + step_name +
           ".py\", line " + std::to_string(rng.Between(10, 900)) + ", in run_" +
           std::to_string(i) + "\n    result = handler(ctx, " +
           "retries=" + std::to_string(i) + ")\n";
  }
  out += std::string(kOneLiners[rng.Below(std::size(kOneLiners))]);
  return out;
}

std::string Huge(Rng& rng, const std::string& step_name) {
  std::string out = "pytest failed: 412 passed, 3 failed\n";
  while (out.size() < 4096) {
    out += "FAILED tests/test_" + step_name + ".py::test_case_" +
           std::to_string(rng.Below(1000)) +
           " - AssertionError: assert 'é' == \"e\"\n";
  }
  return out;
}

// Cuts s to at most `bytes`, never inside a UTF-8 sequence.
void CutAtCharacter(std::string& s, size_t bytes) {
  if (s.size() <= bytes) return;
  size_t cut = bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  s.resize(cut);
}

}  // namespace

std::string MakeErrorMessage(Rng& rng, const std::string& step_name) {
  switch (rng.Weighted({35, 35, 15, 10, 5})) {
    case 0:
      return Traceback(rng, step_name);
    case 1:
      return std::string(kOneLiners[rng.Below(std::size(kOneLiners))]);
    case 2:
      return std::string(kHtml[rng.Below(std::size(kHtml))]);
    case 3:
      return "step '" + step_name +
             "' failed:\n\tstderr: fatal: could not "
             "read Username for 'https://git.example.com'\n\texit code: 128";
    default:
      return Huge(rng, step_name);
  }
}

std::string MakeErrorMessage(Rng& rng, const std::string& step_name,
                             size_t bytes) {
  std::string out = MakeErrorMessage(rng, step_name);
  for (int frame = 0; out.size() < bytes; ++frame) {
    out += "\n  File \"/opt/orchestrator/pipeline/steps/" + step_name +
           ".py\", line " + std::to_string(rng.Between(10, 900)) +
           ", in retry_" + std::to_string(frame);
  }
  CutAtCharacter(out, bytes);
  return out;
}

std::string ErrorSummary(const std::string& message) {
  size_t end = message.rfind('\n');
  std::string last =
      end == std::string::npos ? message : message.substr(end + 1);
  if (message.rfind("Traceback", 0) != 0) {
    last = message.substr(0, message.find('\n'));
  }
  CutAtCharacter(last, 200);
  return last;
}

}  // namespace pe::sim
