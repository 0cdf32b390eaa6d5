#include "common/expected.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/errc.hpp"

namespace cohort {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) {
    return fail(Error::invalid("n", "must be even"));
  }
  return n / 2;
}

Result<void> check_positive(int n) {
  if (n <= 0) {
    return fail(Error::invalid("n", "must be positive"));
  }
  return {};
}

TEST(Expected, HoldsValue) {
  Result<int> r = half(8);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(*r, 4);
  EXPECT_EQ(r.value_or(-1), 4);
}

TEST(Expected, HoldsError) {
  Result<int> r = half(7);
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code, Errc::kInvalid);
  EXPECT_EQ(r.error().field, "n");
  EXPECT_EQ(r.error().message, "must be even");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(Expected, DefaultConstructsValue) {
  Expected<std::string, int> r;
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "");
}

TEST(Expected, ArrowAndMutation) {
  Expected<std::string, Error> r = std::string("abc");
  EXPECT_EQ(r->size(), 3u);
  r->push_back('d');
  EXPECT_EQ(*r, "abcd");
}

TEST(Expected, MovesOutMoveOnlyValue) {
  Expected<std::unique_ptr<int>, Error> r = std::make_unique<int>(5);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
}

TEST(Expected, MovesOutError) {
  Result<int> r = fail(Error::conflict("email", "taken"));
  Error e = std::move(r).error();
  EXPECT_EQ(e.code, Errc::kConflict);
  EXPECT_EQ(e.field, "email");
}

TEST(Expected, UnexpectedHelperDeducesType) {
  Expected<int, std::string> r = unexpected(std::string("boom"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "boom");
}

TEST(ExpectedVoid, SuccessAndFailure) {
  Result<void> ok = check_positive(1);
  EXPECT_TRUE(ok.has_value());
  ok.value();  // must not assert

  Result<void> bad = check_positive(0);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "must be positive");
  Error moved = std::move(bad).error();
  EXPECT_EQ(moved.field, "n");
}

TEST(Error, FactoriesSetCodeAndField) {
  EXPECT_EQ(Error::not_found("x").code, Errc::kNotFound);
  EXPECT_TRUE(Error::not_found("x").field.empty());
  EXPECT_EQ(Error::internal("x").code, Errc::kInternal);
  EXPECT_EQ(Error::invalid("a.b", "m").field, "a.b");
}

}  // namespace
}  // namespace cohort
