#include "exporter/common/run_id_path.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

struct Case {
  std::string run_id;
  bool ok;
  std::string problem;  // substring of the message when rejected
};

TEST(RunIdPathTest, AcceptsOnlySafeNames) {
  using namespace std::string_literals;
  const Case cases[] = {
      {"01HGW2B5N4Q6Z8R0T2V4X6Z8B0", true, ""},  // a ULID
      {"run_2024-01-01.v2", true, ""},
      {"a", true, ""},
      {std::string(128, 'x'), true, ""},
      {"", false, "empty"},
      {"../x", false, "0x2f"},
      {"..", false, "directory link"},
      {".", false, "directory link"},
      {"/etc/passwd", false, "0x2f at offset 0"},
      {"a/b", false, "0x2f at offset 1"},
      {"a b", false, "0x20"},
      {"a\0b"s, false, "0x00 at offset 1"},
      {std::string(300, 'x'), false, "300 bytes"},
      {std::string(129, 'x'), false, "129 bytes"},
      {"r\xc3\xa9sum\xc3\xa9", false, "0xc3"},
      {".hidden", false, "starts with '.'"},
      {"-rf", false, "starts with '-'"},
      {"a\\b", false, "0x5c"},
  };
  for (const Case& c : cases) {
    Status s = ValidateRunIdForPath(c.run_id);
    EXPECT_EQ(s.ok(), c.ok) << "'" << c.run_id << "': " << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
      EXPECT_NE(s.message().find(c.problem), std::string::npos)
          << "'" << c.run_id << "': " << s.message();
    }
  }
}

}  // namespace
}  // namespace pe
