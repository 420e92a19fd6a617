#include "exporter/common/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

namespace pe {
namespace {

TEST(StatusTest, DefaultIsOkWithoutAMessage) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_STREQ(s.CodeName(), "ok");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, EachErrorKeepsItsCodeMessageAndStableName) {
  struct Case {
    Status status;
    Status::Code code;
    const char* name;
  };
  const Case cases[] = {
      {Status::NotFound("m"), Status::Code::kNotFound, "not_found"},
      {Status::InvalidArgument("m"), Status::Code::kInvalidArgument,
       "invalid_argument"},
      {Status::Busy("m"), Status::Code::kBusy, "busy"},
      {Status::Corruption("m"), Status::Code::kCorruption, "corruption"},
      {Status::IoError("m"), Status::Code::kIoError, "io_error"},
      {Status::Internal("m"), Status::Code::kInternal, "internal"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.name;
    EXPECT_EQ(c.status.code(), c.code) << c.name;
    EXPECT_EQ(c.status.message(), "m") << c.name;
    // Used as a metric label value: must not change.
    EXPECT_STREQ(c.status.CodeName(), c.name);
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": m");
  }
}

TEST(StatusTest, AnErrorMayHaveAnEmptyMessage) {
  const Status s = Status::Internal("");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "internal: ");
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  const Status inner = Status::Busy("database is locked");
  const Status outer =
      inner.WithContext("read runs").WithContext("poll 'state.db'");
  EXPECT_EQ(outer.code(), Status::Code::kBusy);
  EXPECT_EQ(outer.message(), "poll 'state.db': read runs: database is locked");
  // A copy: the original is unchanged.
  EXPECT_EQ(inner.message(), "database is locked");
}

TEST(StatusTest, WithContextLeavesOkAlone) {
  const Status s = Status::Ok().WithContext("read runs");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(ResultTest, HoldsAValueAndAnOkStatus) {
  Result<std::string> r = std::string("value");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value(), "value");
  EXPECT_EQ(*r, "value");
  EXPECT_EQ(r->size(), 5u);
  r->append("!");
  EXPECT_EQ(*r, "value!");
}

TEST(ResultTest, HoldsAnErrorStatusInsteadOfAValue) {
  const Result<int> r = Status::NotFound("no row 'r1'");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "no row 'r1'");
}

TEST(ResultTest, AMoveOnlyValueCanBeTakenOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> taken = std::move(r).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);
}

}  // namespace
}  // namespace pe
