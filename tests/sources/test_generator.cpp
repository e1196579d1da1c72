// Generator tests: determinism and resumability, the seeds' shapes and
// distributions per family, duplicates, malformed events, event-time
// progression and spreads.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/time.h"
#include "sources/generate/generator.h"

namespace sluice {
namespace {

using nlohmann::json;

std::vector<std::string> generate(const GeneratorOptions& o, int64_t first, int64_t count) {
  Generator g(o);
  std::vector<std::string> lines;
  lines.reserve(static_cast<size_t>(count));
  for (int64_t i = first; i < first + count; ++i) {
    std::string s;
    g.event(i, s);
    lines.push_back(std::move(s));
  }
  return lines;
}

GeneratorOptions options(const std::string& family, uint64_t seed = 7) {
  GeneratorOptions o;
  o.family = family;
  o.seed = seed;
  return o;
}

bool is_iso(const json& v) {
  return v.is_string() && parse_iso8601(v.get<std::string>()).has_value();
}

// The seeds' timestamp shapes: "2024-04-20T14:35:21Z" (clickstream, seed 000),
// "2025-01-10T10:00:00" (user events, seed 003, no zone), and
// "2025-11-08T18:23:45.123Z" (IoT, seed 004).
bool seed_timestamp(const std::string& family, const json& v) {
  if (!is_iso(v)) return false;
  const std::string s = v.get<std::string>();
  if (family == "clickstream") return s.size() == 20 && s.back() == 'Z';
  if (family == "user_events") return s.size() == 19 && s.find_first_of("Z+") == std::string::npos;
  return s.size() == 24 && s[19] == '.' && s.back() == 'Z';
}

bool in_set(const json& v, std::initializer_list<const char*> allowed) {
  if (!v.is_string()) return false;
  for (const char* a : allowed) {
    if (v.get<std::string>() == a) return true;
  }
  return false;
}

// Whether a line is a valid event of its family (what a strict schema would accept).
bool valid_event(const std::string& family, const std::string& line) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error&) {
    return false;  // truncated, not JSON, or invalid UTF-8
  }
  if (!j.is_object()) return false;
  if (!j.contains("timestamp") || !seed_timestamp(family, j["timestamp"])) return false;
  if (family == "clickstream") {
    // A path, as in seed 000's "/product/playstation5".
    if (!j.contains("page_url") || !j["page_url"].is_string() ||
        j["page_url"].get<std::string>().rfind('/', 0) != 0) {
      return false;
    }
    if (!j.contains("session_id") || !j["session_id"].is_string()) return false;
    if (j.contains("TTI") && !j["TTI"].is_number_integer()) return false;
    if (!j.contains("TTAR") || !j["TTAR"].is_number_integer()) return false;
    if (j.contains("user_actions")) {
      if (!j["user_actions"].is_array() || j["user_actions"].size() > 12) return false;
      for (const auto& a : j["user_actions"]) {
        if (!in_set(a["action"], {"click", "scroll", "add_to_cart", "hover", "submit"})) {
          return false;
        }
        if (!a["target"].is_string() || !a["time"].is_number_integer()) return false;
      }
    }
    return true;
  }
  if (family == "user_events") {
    return j.contains("user_id") && j["user_id"].is_number_integer() &&
           in_set(j["event_type"], {"click", "view", "purchase", "login", "logout"}) &&
           j["page_id"].is_number_integer() && j["session_id"].is_string() &&
           j["session_id"].get<std::string>().rfind("sess_", 0) == 0;
  }
  // iot
  return j["event_id"].is_string() && j["event_id"].get<std::string>().size() == 36 &&
         j["device_id"].is_string() && j["device_id"].get<std::string>() >= "device-001" &&
         j["device_id"].get<std::string>() <= "device-050" &&
         in_set(j["device_type"], {"temperature", "pressure", "humidity", "motion", "light"}) &&
         j["event_duration"].is_number() && j["event_duration"].get<double>() >= 0 &&
         j["event_duration"].get<double>() <= 1000 && j["value"].is_number() &&
         in_set(j["status"], {"normal", "warning", "critical"}) && j["metadata"].is_object() &&
         j["metadata"]["location"].is_string() && j["metadata"]["firmware"].is_string();
}

TEST(Generator, RejectsUnknownFamilyAndBadOptions) {
  EXPECT_THROW(Generator(options("weblogs")), std::invalid_argument);
  GeneratorOptions o = options("iot");
  o.duplicates_pct = 150;
  EXPECT_THROW(Generator{o}, std::invalid_argument);
  o = options("iot");
  o.events_per_second_of_event_time = 0;
  EXPECT_THROW(Generator{o}, std::invalid_argument);
}

TEST(Generator, SameSeedSameBytesDifferentSeedDifferentBytes) {
  for (const char* family : {"clickstream", "user_events", "iot"}) {
    GeneratorOptions o = options(family);
    o.duplicates_pct = 5;
    o.malformed_pct = 5;
    o.late_pct = 5;
    auto a = generate(o, 0, 2000);
    auto b = generate(o, 0, 2000);
    EXPECT_EQ(a, b) << family;
    o.seed = 8;
    auto c = generate(o, 0, 2000);
    size_t same = 0;
    for (size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
    EXPECT_LT(same, 10u) << family;
  }
}

TEST(Generator, ResumingAtAnIndexRegeneratesTheSameEvents) {
  for (const char* family : {"clickstream", "user_events", "iot"}) {
    GeneratorOptions o = options(family);
    o.duplicates_pct = 10;
    o.malformed_pct = 10;
    o.late_pct = 10;
    auto all = generate(o, 0, 3000);
    // A fresh generator started at 1234, as after a restart.
    auto tail = generate(o, 1234, 3000 - 1234);
    for (size_t i = 0; i < tail.size(); ++i) ASSERT_EQ(tail[i], all[1234 + i]) << family << i;
  }
}

TEST(Generator, FillMatchesEventAndSetsPositions) {
  GeneratorOptions o = options("clickstream");
  o.duplicates_pct = 3;
  Generator g(o);
  RawBatch batch;
  batch.add("stale", 0, 0);  // fill replaces previous content
  g.fill(500, 300, batch);
  ASSERT_EQ(batch.records.size(), 300u);
  ASSERT_EQ(batch.streams.size(), 1u);
  EXPECT_EQ(batch.streams[0], "generate:clickstream");
  EXPECT_EQ(g.stream_name(), "generate:clickstream");
  for (size_t k = 0; k < batch.records.size(); ++k) {
    std::string expected;
    g.event(500 + static_cast<int64_t>(k), expected);
    EXPECT_EQ(batch.bytes(batch.records[k]), expected);
    EXPECT_EQ(batch.records[k].position.offset, 500 + static_cast<int64_t>(k));
    EXPECT_EQ(batch.records[k].position.stream, 0u);
  }
  EXPECT_EQ(batch.next_offsets.size(), 1u);
  EXPECT_EQ(batch.next_offsets["generate:clickstream"], 800);
}

TEST(Generator, EventAppendsWithoutNewline) {
  Generator g(options("iot"));
  std::string out = "prefix|";
  g.event(3, out);
  std::string alone;
  g.event(3, alone);
  EXPECT_EQ(out, "prefix|" + alone);
  EXPECT_EQ(alone.find('\n'), std::string::npos);
  EXPECT_EQ(alone.front(), '{');
  EXPECT_EQ(alone.back(), '}');
}

TEST(Generator, CleanEventsAreAllValid) {
  for (const char* family : {"clickstream", "user_events", "iot"}) {
    auto lines = generate(options(family), 0, 5000);
    for (const auto& line : lines) ASSERT_TRUE(valid_event(family, line)) << line;
  }
}

TEST(Generator, UserEventDistributions) {
  const int n = 50000;
  auto lines = generate(options("user_events"), 0, n);
  std::map<std::string, int> types;
  std::map<int64_t, int> pages;
  std::set<int64_t> users;
  std::set<std::string> sessions;
  std::unordered_map<std::string, int64_t> session_user;
  for (const auto& line : lines) {
    json j = json::parse(line);
    types[j["event_type"]]++;
    // Integers, as in seed 003's sample ("user_id": 42, "page_id": 15).
    ASSERT_TRUE(j["user_id"].is_number_integer()) << line;
    ASSERT_TRUE(j["page_id"].is_number_integer()) << line;
    const int64_t user = j["user_id"], page = j["page_id"];
    EXPECT_GE(user, 1);
    EXPECT_GE(page, 1);
    pages[page]++;
    users.insert(user);
    std::string session = j["session_id"];
    EXPECT_EQ(session.rfind("sess_", 0), 0u) << session;
    sessions.insert(session);
    auto [it, inserted] = session_user.emplace(session, user);
    EXPECT_EQ(it->second, user) << "a session belongs to one user";
  }
  auto pct = [&](const char* t) { return 100.0 * types[t] / n; };
  EXPECT_NEAR(pct("click"), 40, 1.5);
  EXPECT_NEAR(pct("view"), 35, 1.5);
  EXPECT_NEAR(pct("purchase"), 5, 0.6);
  EXPECT_NEAR(pct("login"), 10, 0.8);
  EXPECT_NEAR(pct("logout"), 10, 0.8);
  EXPECT_EQ(types.size(), 5u);
  // Skewed pages: the top page gets far more than a uniform share.
  int top = 0;
  for (const auto& [page, count] : pages) top = std::max(top, count);
  EXPECT_GT(top, 5 * n / static_cast<int>(pages.size()));
  EXPECT_GT(pages.size(), 100u);
  // Sessions repeat (several events each) and there are many users.
  EXPECT_LT(sessions.size(), static_cast<size_t>(n / 3));
  EXPECT_GT(users.size(), 1000u);
}

TEST(Generator, IotDistributions) {
  const int n = 50000;
  auto lines = generate(options("iot"), 0, n);
  std::map<std::string, int> status, types;
  std::set<std::string> devices;
  std::map<std::string, std::set<std::string>> devices_of_type;
  std::unordered_set<std::string> ids;
  std::map<std::string, std::string> device_type_of;
  int in_50_500 = 0;
  double min_d = 1e9, max_d = -1;
  for (const auto& line : lines) {
    json j = json::parse(line);
    status[j["status"]]++;
    types[j["device_type"]]++;
    std::string device = j["device_id"];
    ASSERT_EQ(device.size(), 10u);
    ASSERT_EQ(device.rfind("device-", 0), 0u);
    EXPECT_TRUE(device >= "device-001" && device <= "device-050") << device;  // seed 004
    devices.insert(device);
    devices_of_type[j["device_type"]].insert(device);
    auto [it, inserted] = device_type_of.emplace(device, j["device_type"]);
    EXPECT_EQ(it->second, j["device_type"].get<std::string>()) << "a device keeps its type";
    std::string id = j["event_id"];
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');  // version 4
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    ids.insert(id);
    double d = j["event_duration"];
    min_d = std::min(min_d, d);
    max_d = std::max(max_d, d);
    in_50_500 += d >= 50 && d <= 500;
    std::string ts = j["timestamp"];
    EXPECT_EQ(ts.size(), 24u);  // 2025-01-01T00:00:00.123Z
    EXPECT_EQ(ts.back(), 'Z');
    std::string fw = j["metadata"]["firmware"];
    EXPECT_EQ(fw[0], 'v');
    EXPECT_EQ(std::count(fw.begin(), fw.end(), '.'), 2) << fw;  // vX.Y.Z
    std::string zone = j["metadata"]["location"];
    EXPECT_TRUE(zone >= "zone-A" && zone <= "zone-E") << zone;
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(n)) << "uuids unique without duplicates";
  EXPECT_NEAR(100.0 * status["normal"] / n, 80, 1.5);
  EXPECT_NEAR(100.0 * status["warning"] / n, 15, 1.2);
  EXPECT_NEAR(100.0 * status["critical"] / n, 5, 0.6);
  EXPECT_EQ(types.size(), 5u);
  EXPECT_EQ(devices.size(), 50u);
  for (const auto& [type, of_type] : devices_of_type) EXPECT_EQ(of_type.size(), 10u) << type;
  EXPECT_GE(min_d, 0);
  EXPECT_LE(max_d, 1000);
  EXPECT_GT(100.0 * in_50_500 / n, 85);
}

TEST(Generator, ClickstreamShape) {
  const int n = 20000;
  auto lines = generate(options("clickstream"), 0, n);
  int no_tti = 0, zero_actions = 0, twelve = 0;
  std::map<size_t, int> action_counts;
  std::set<std::string> urls, targets;
  for (const auto& line : lines) {
    json j = json::parse(line);
    ASSERT_TRUE(valid_event("clickstream", line)) << line;
    if (!j.contains("TTI")) ++no_tti;
    size_t actions = j.contains("user_actions") ? j["user_actions"].size() : 0;
    action_counts[actions]++;
    zero_actions += actions == 0;
    twelve += actions == 12;
    urls.insert(j["page_url"].get<std::string>());
    if (j.contains("TTI")) {
      int64_t tti = j["TTI"];
      EXPECT_GT(tti, 100);
      EXPECT_LT(tti, 20001);
    }
    if (j.contains("user_actions")) {
      // Milliseconds since the page started loading, increasing.
      int64_t previous = 0;
      for (const auto& a : j["user_actions"]) {
        int64_t t = a["time"];
        EXPECT_GT(t, previous);
        EXPECT_LT(t, 60000);
        previous = t;
        targets.insert(a["target"].get<std::string>());
      }
    }
  }
  EXPECT_NEAR(100.0 * no_tti / n, 5, 0.8);
  EXPECT_NEAR(100.0 * zero_actions / n, 10, 1.0);
  EXPECT_GT(twelve, 0);
  EXPECT_GE(action_counts.size(), 13u);  // 0..12 all occur
  EXPECT_GE(urls.size(), 50u);
  // Seed 000's page and targets.
  EXPECT_TRUE(urls.count("/product/playstation5"));
  EXPECT_TRUE(urls.count("/cart"));
  EXPECT_TRUE(urls.count("/"));
  EXPECT_TRUE(targets.count("buy_now"));
  EXPECT_TRUE(targets.count("reviews"));
  // Every product page is in the product master, so the gold join finds it.
  const std::string master = product_master_csv();
  for (const auto& url : urls) {
    if (url.rfind("/product/", 0) == 0) {
      EXPECT_NE(master.find("\n" + url + ",P1"), std::string::npos) << url;
    }
  }
}

TEST(Generator, DuplicatesRepeatEarlierEvents) {
  for (const char* family : {"clickstream", "iot"}) {
    GeneratorOptions o = options(family);
    o.duplicates_pct = 2;
    const int n = 50000;
    auto lines = generate(o, 0, n);
    std::unordered_map<std::string, size_t> first_seen;
    int repeats = 0;
    std::unordered_set<std::string> ids;
    for (size_t i = 0; i < lines.size(); ++i) {
      auto [it, inserted] = first_seen.emplace(lines[i], i);
      if (!inserted) {
        ++repeats;
        EXPECT_LT(it->second, i);
        // Up to 1000 back per step; a duplicate of a duplicate goes further.
        EXPECT_LE(i - it->second, 5000u) << "duplicates stay close in event time";
      }
      if (std::string(family) == "iot") ids.insert(json::parse(lines[i])["event_id"]);
    }
    EXPECT_NEAR(100.0 * repeats / n, 2, 0.3) << family;
    if (std::string(family) == "iot") {
      EXPECT_EQ(ids.size(), first_seen.size()) << "same event_id exactly for the repeats";
    }
  }
}

TEST(Generator, MalformedEventsAreInvalidInVariedWays) {
  for (const char* family : {"clickstream", "user_events", "iot"}) {
    GeneratorOptions o = options(family);
    o.malformed_pct = 5;
    const int n = 20000;
    auto lines = generate(o, 0, n);
    int invalid = 0, not_json = 0, not_object = 0, bad_fields = 0;
    for (const auto& line : lines) {
      ASSERT_FALSE(line.empty());
      ASSERT_EQ(line.find('\n'), std::string::npos);
      if (valid_event(family, line)) continue;
      ++invalid;
      try {
        json j = json::parse(line);
        if (j.is_object()) {
          ++bad_fields;
        } else {
          ++not_object;
        }
      } catch (const json::parse_error&) {
        ++not_json;
      }
    }
    EXPECT_NEAR(100.0 * invalid / n, 5, 0.7) << family;
    EXPECT_GT(not_json, invalid / 6) << family;    // truncated, invalid UTF-8, text
    EXPECT_GT(not_object, 0) << family;            // arrays, scalars
    EXPECT_GT(bad_fields, invalid / 6) << family;  // wrong type, missing field, bad values
  }
}

TEST(Generator, IotMalformedIncludesNegativeDurationAndNullValue) {
  GeneratorOptions o = options("iot");
  o.malformed_pct = 30;
  auto lines = generate(o, 0, 5000);
  int negative = 0, null_value = 0, missing_ts = 0;
  for (const auto& line : lines) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    if (j.contains("event_duration") && j["event_duration"].is_number() &&
        j["event_duration"].get<double>() < 0) {
      ++negative;
    }
    if (j.contains("value") && j["value"].is_null()) ++null_value;
    if (!j.contains("timestamp")) ++missing_ts;
  }
  EXPECT_GT(negative, 50);
  EXPECT_GT(null_value, 50);
  EXPECT_GT(missing_ts, 50);
}

// IoT by default (spread single): in order apart from a few ms of jitter,
// plus the --late share 1..5 minutes behind.
TEST(Generator, TimestampsAdvanceWithIndexAndLateEventsLag) {
  GeneratorOptions o = options("iot");
  o.events_per_second_of_event_time = 100;  // 10 ms per event
  o.late_pct = 5;
  const int n = 10000;
  auto lines = generate(o, 0, n);
  int64_t max_seen = 0;
  int late = 0;
  for (int i = 0; i < n; ++i) {
    json j = json::parse(lines[static_cast<size_t>(i)]);
    int64_t ts_ms = *parse_iso8601(j["timestamp"].get<std::string>()) / 1000;
    int64_t nominal = o.start_time_ms + 10LL * i;
    if (ts_ms < nominal - 30000) {
      ++late;
      EXPECT_GE(ts_ms, nominal - 5 * 60000 - 1) << "late by at most 5 minutes";
      EXPECT_LE(ts_ms, nominal - 60000 + 50) << "late by at least a minute";
    } else {
      EXPECT_GE(ts_ms, nominal);
      EXPECT_LT(ts_ms, nominal + 50) << "small jitter only";
      EXPECT_GT(ts_ms, max_seen - 100) << "monotone apart from jitter";
      max_seen = std::max(max_seen, ts_ms);
    }
  }
  EXPECT_NEAR(100.0 * late / n, 5, 0.8);
  // Event time does not depend on the wall clock: event 0 is at the start.
  json first = json::parse(lines[0]);
  EXPECT_EQ(first["timestamp"].get<std::string>().substr(0, 20), "2025-01-01T00:00:00.");
}

// --- event-time spreads --------------------------------------------------------

int64_t ts_micros(const std::string& line) {
  return *parse_iso8601(json::parse(line)["timestamp"].get<std::string>());
}

constexpr int64_t kHourUs = 3600LL * 1000000;

TEST(GeneratorSpread, FamilyDefaults) {
  EXPECT_EQ(default_time_spread("clickstream").kind, TimeSpread::Kind::kLive);
  EXPECT_EQ(default_time_spread("user_events").kind, TimeSpread::Kind::kLive);
  EXPECT_EQ(default_time_spread("iot").kind, TimeSpread::Kind::kSingle);
  EXPECT_EQ(Generator(options("clickstream")).spread().kind, TimeSpread::Kind::kLive);
  EXPECT_EQ(Generator(options("iot")).spread().kind, TimeSpread::Kind::kSingle);
  GeneratorOptions o = options("iot");
  o.spread = TimeSpread{TimeSpread::Kind::kBackfill, 72};
  EXPECT_EQ(Generator(o).spread(), (TimeSpread{TimeSpread::Kind::kBackfill, 72}));
  o.spread = TimeSpread{TimeSpread::Kind::kBackfill, 0};
  EXPECT_THROW(Generator{o}, std::invalid_argument);
  EXPECT_EQ(default_duplicates_pct("iot"), 2);
  EXPECT_EQ(default_duplicates_pct("clickstream"), 0);
  EXPECT_EQ(default_duplicates_pct("user_events"), 0);
}

TEST(GeneratorSpread, GenerateSourceConfigAppliesFamilyDefaults) {
  GenerateSourceConfig c;
  c.family = "iot";
  GeneratorOptions o = generator_options(c);
  EXPECT_EQ(o.duplicates_pct, 2);
  EXPECT_FALSE(o.spread.has_value());
  c.duplicates_pct = 0;
  c.spread = TimeSpread{TimeSpread::Kind::kLive, 0};
  o = generator_options(c);
  EXPECT_EQ(o.duplicates_pct, 0);
  EXPECT_EQ(Generator(o).spread().kind, TimeSpread::Kind::kLive);
  c.family = "clickstream";
  c.duplicates_pct.reset();
  EXPECT_EQ(generator_options(c).duplicates_pct, 0);
}

// live: 95% in the current hour, in order; 5% anywhere in the 24 hours before it.
TEST(GeneratorSpread, LiveIsMostlyTheCurrentHourAndSomeOfThePreviousDay) {
  GeneratorOptions o = options("user_events");  // live by default
  const int n = 40000;                          // 40 s of event time at 1000/s
  auto lines = generate(o, 0, n);
  const int64_t start_us = o.start_time_ms * 1000;
  int current = 0, past = 0;
  std::set<int64_t> past_hours;
  for (const auto& line : lines) {
    int64_t ts = ts_micros(line);
    if (ts >= start_us) {
      ++current;
      EXPECT_LT(ts, start_us + kHourUs);
    } else {
      ++past;
      EXPECT_GE(ts, start_us - 24 * kHourUs) << line;
      past_hours.insert((ts - start_us) / kHourUs);
    }
  }
  EXPECT_EQ(current + past, n);
  EXPECT_NEAR(100.0 * past / n, 5, 0.5);
  EXPECT_EQ(past_hours.size(), 24u);  // spread over the whole previous day
}

// backfill:H: uniform over the H hours from the start, in no order.
TEST(GeneratorSpread, BackfillIsUniformOverTheHoursAndShuffled) {
  GeneratorOptions o = options("clickstream");
  o.spread = TimeSpread{TimeSpread::Kind::kBackfill, 72};
  const int n = 72000;
  auto lines = generate(o, 0, n);
  const int64_t start_us = o.start_time_ms * 1000;
  std::map<int64_t, int> per_hour;
  int backwards = 0;
  int64_t previous = 0;
  for (const auto& line : lines) {
    int64_t ts = ts_micros(line);
    ASSERT_GE(ts, start_us);
    ASSERT_LT(ts, start_us + 72 * kHourUs);
    per_hour[(ts - start_us) / kHourUs]++;
    backwards += ts < previous;
    previous = ts;
  }
  ASSERT_EQ(per_hour.size(), 72u);
  for (const auto& [hour, count] : per_hour) {
    EXPECT_GT(count, 800) << hour;  // 1000 expected per hour
    EXPECT_LT(count, 1200) << hour;
  }
  EXPECT_GT(backwards, n / 3) << "arrives shuffled";
}

// The spread only moves timestamps: the rest of every event is the same.
TEST(GeneratorSpread, OnlyTheTimestampDependsOnTheSpread) {
  for (const char* family : {"clickstream", "user_events", "iot"}) {
    GeneratorOptions single = options(family);
    single.spread = TimeSpread{TimeSpread::Kind::kSingle, 0};
    single.duplicates_pct = 2;
    GeneratorOptions backfill = single;
    backfill.spread = TimeSpread{TimeSpread::Kind::kBackfill, 48};
    auto a = generate(single, 0, 3000), b = generate(backfill, 0, 3000);
    size_t moved = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      json ja = json::parse(a[i]), jb = json::parse(b[i]);
      moved += ja["timestamp"] != jb["timestamp"];
      ja.erase("timestamp");
      jb.erase("timestamp");
      ASSERT_EQ(ja, jb) << family << " " << i;
    }
    EXPECT_GT(moved, 2900u) << family;
  }
}

// The IoT stream stays in order within a few ms by default, so its 30 s
// watermark never drops an event that --late did not make late.
TEST(GeneratorSpread, IotDefaultDisorderStaysWithinMilliseconds) {
  auto lines = generate(options("iot"), 0, 100000);
  int64_t max_seen = ts_micros(lines.at(0)), worst = 0;
  for (const auto& line : lines) {
    int64_t ts = ts_micros(line);
    worst = std::max(worst, max_seen - ts);
    max_seen = std::max(max_seen, ts);
  }
  EXPECT_LT(worst, 50 * 1000);  // < 50 ms behind the newest event
}

TEST(Generator, ReferenceCsvs) {
  std::string master = product_master_csv();
  EXPECT_EQ(master.rfind("page_url,ProductID,category\n", 0), 0u);
  // Seed 000's page maps to the PlayStation 5 product.
  EXPECT_NE(master.find("\n/product/playstation5,P100,gaming\n"), std::string::npos);
  EXPECT_EQ(std::count(master.begin(), master.end(), '\n'),
            static_cast<long>(product_catalogue().size()) + 1);
  std::string sales = sales_csv(1);
  EXPECT_EQ(sales.rfind("ProductID,ProductName,Region,Revenue,UnitsSold\n", 0), 0u);
  EXPECT_EQ(std::count(sales.begin(), sales.end(), '\n'),
            static_cast<long>(product_catalogue().size()) * 4 + 1);
  EXPECT_NE(sales.find("P100,PlayStation 5 Console,US,"), std::string::npos);
  EXPECT_EQ(sales, sales_csv(1));
  EXPECT_NE(sales, sales_csv(2));
}

}  // namespace
}  // namespace sluice
