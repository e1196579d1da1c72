#include <gtest/gtest.h>

#include "core/time.h"

namespace sluice {

TEST(Time, ParsesIsoWithZoneAndFraction) {
  auto ts = parse_iso8601("2024-03-01T12:30:15.250Z");
  ASSERT_TRUE(ts.has_value());
  EXPECT_EQ(format_iso8601(*ts), "2024-03-01T12:30:15.250000Z");
  auto shifted = parse_iso8601("2024-03-01T14:30:15.250+02:00");
  ASSERT_TRUE(shifted.has_value());
  EXPECT_EQ(*shifted, *ts);
}

TEST(Time, DateOnlyAndEpoch) {
  EXPECT_EQ(parse_iso8601("1970-01-01").value(), 0);
  EXPECT_EQ(parse_iso8601("1970-01-02 00:00:00").value(), 86400LL * 1000000);
}

TEST(Time, RejectsMalformed) {
  for (const char* bad : {"", "2024", "2024-13-01", "2024-02-30", "2023-02-29", "2024-01-01T25:00",
                          "2024-01-01T10:00:00Zjunk", "2024-01-01T10:00:00.", "abcd-ef-gh"}) {
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
  }
}

TEST(Time, CivilParts) {
  auto c = to_civil(parse_iso8601("2000-02-29T23:59:59Z").value());
  EXPECT_EQ(c.year, 2000);
  EXPECT_EQ(c.month, 2);
  EXPECT_EQ(c.day, 29);
  EXPECT_EQ(c.hour, 23);
  auto before = to_civil(-1);
  EXPECT_EQ(before.year, 1969);
  EXPECT_EQ(before.second, 59);
}

}  // namespace sluice
