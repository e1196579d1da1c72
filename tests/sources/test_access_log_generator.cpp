// `sluice generate access-log`: deterministic combined-format lines that the
// apache_combined parser accepts, with the mix the generator promises, and
// malformed lines that it rejects.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sources/generate/generator.h"
#include "transforms/parse/parser.h"

namespace sluice {
namespace {

GeneratorOptions access_log(double malformed = 0, uint64_t seed = 11) {
  GeneratorOptions o;
  o.family = "access-log";
  o.seed = seed;
  o.malformed_pct = malformed;
  o.spread = TimeSpread{TimeSpread::Kind::kSingle, 0};
  return o;
}

Schema access_schema() {
  Schema s;
  for (auto [name, type] : std::initializer_list<std::pair<const char*, FieldType>>{
           {"client", FieldType::kString},
           {"timestamp", FieldType::kTimestamp},
           {"request", FieldType::kString},
           {"method", FieldType::kString},
           {"path", FieldType::kString},
           {"status", FieldType::kInt32},
           {"bytes", FieldType::kInt64},
           {"user_agent", FieldType::kString},
           {"request_time", FieldType::kDouble}}) {
    Field f;
    f.name = name;
    f.type = type;
    s.fields.push_back(f);
  }
  return s;
}

struct Parsed {
  RecordBatch out;
  std::vector<Reject> rejects;
};

Parsed parse(const GeneratorOptions& o, int64_t count) {
  Generator g(o);
  RawBatch raw;
  g.fill(0, count, raw);
  Parser parser(access_schema(), {}, {}, InputFormat::kApacheCombined);
  Parsed p;
  p.out = RecordBatch(parser.output_schema());
  ParseStats stats;
  parser.process(raw, p.out, p.rejects, stats, 0);
  return p;
}

TEST(AccessLogGenerator, SameSeedSameBytes) {
  Generator a(access_log(1, 5)), b(access_log(1, 5)), c(access_log(1, 6));
  std::string x, y, z;
  for (int64_t i = 0; i < 200; ++i) {
    a.event(i, x);
    b.event(i, y);
    c.event(i, z);
  }
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

TEST(AccessLogGenerator, CleanLinesAllParseWithTheExpectedMix) {
  const int64_t n = 20000;
  Parsed p = parse(access_log(), n);
  ASSERT_TRUE(p.rejects.empty()) << p.rejects[0].rule << ": " << p.rejects[0].message;
  ASSERT_EQ(p.out.rows(), static_cast<size_t>(n));
  const Column& client = p.out.columns[0];
  const Column& method = p.out.columns[3];
  const Column& status = p.out.columns[5];
  const Column& bytes = p.out.columns[6];
  const Column& agent = p.out.columns[7];
  std::map<int, int64_t> statuses;
  std::map<std::string, int64_t> methods;
  int64_t ipv6 = 0, bots = 0, no_method = 0, huge = 0, no_bytes = 0;
  std::set<std::string> clients;
  for (size_t r = 0; r < p.out.rows(); ++r) {
    ++statuses[status.int32_at(r)];
    clients.insert(std::string(client.string_at(r)));
    if (client.string_at(r).find(':') != std::string_view::npos) ++ipv6;
    if (method.is_null(r)) {
      ++no_method;
    } else {
      ++methods[std::string(method.string_at(r))];
    }
    if (agent.is_null(r) || agent.string_at(r).find("bot") != std::string_view::npos ||
        agent.string_at(r).starts_with("curl") || agent.string_at(r).starts_with("python") ||
        agent.string_at(r).starts_with("Go-")) {
      ++bots;
    }
    if (bytes.is_null(r)) {
      ++no_bytes;
    } else if (bytes.int64_at(r) > (int64_t{1} << 31)) {
      ++huge;
    }
  }
  auto share = [n](int64_t k) { return static_cast<double>(k) / static_cast<double>(n); };
  EXPECT_NEAR(share(statuses[200]), 0.78, 0.05);
  EXPECT_NEAR(share(statuses[404]), 0.07, 0.02);
  EXPECT_GT(statuses[304], 0);
  EXPECT_GT(statuses[500] + statuses[502] + statuses[503], 0);
  EXPECT_GT(statuses[400], 0);
  EXPECT_GT(statuses[408], 0);
  EXPECT_NEAR(share(methods["GET"]), 0.9, 0.06);
  EXPECT_GT(methods["POST"], 0);
  EXPECT_GT(methods["HEAD"], 0);
  EXPECT_GT(ipv6, 0);
  size_t ipv6_clients = 0;
  for (const std::string& c : clients) ipv6_clients += c.find(':') != std::string::npos;
  EXPECT_NEAR(static_cast<double>(ipv6_clients) / static_cast<double>(clients.size()), 0.08, 0.03);
  EXPECT_NEAR(share(bots), 0.12, 0.03);
  EXPECT_GT(no_method, 0);  // empty, "-" and TLS request lines
  EXPECT_GT(no_bytes, 0);
  EXPECT_GT(huge, 0);
  EXPECT_GT(clients.size(), 1000u);
}

TEST(AccessLogGenerator, MalformedLinesAreRejected) {
  const int64_t n = 10000;
  Parsed p = parse(access_log(5), n);
  EXPECT_NEAR(static_cast<double>(p.rejects.size()) / n, 0.05, 0.01);
  std::set<std::string> rules;
  for (const Reject& r : p.rejects) rules.insert(r.rule);
  EXPECT_EQ(rules, (std::set<std::string>{"format", "utf8"}));
  EXPECT_DOUBLE_EQ(default_malformed_pct("access-log"), 0.2);
  EXPECT_DOUBLE_EQ(default_malformed_pct("iot"), 0);
}

}  // namespace
}  // namespace sluice
