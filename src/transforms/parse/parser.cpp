// Parser: compiles the schema into a plan (scratch slots, output columns,
// compiled regexes, converted defaults), then per record walks the JSON object
// once with simdjson On Demand, fills per-record scratch values, resolves
// missing/null/defaults, and only then writes rows into the columns, so a
// rejected record never leaves a partial row behind.
#include "transforms/parse/parser.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>

#include "core/time.h"
#include "transforms/parse/utf8.h"

namespace sluice {

namespace ondemand = simdjson::ondemand;

namespace {

constexpr size_t kExcerptBytes = 80;

enum class State : uint8_t { kAbsent, kNull, kSet };

// One field's value for the record being parsed. Strings point into the
// simdjson string buffer (valid until the next record) or into the plan.
struct Value {
  State state = State::kAbsent;
  int64_t i = 0;  // int32, int64, bool, timestamp (micros)
  double d = 0;
  std::string_view s;
};

// A schema field in the plan: a scalar (owns an output column) or a struct
// (owns a child ObjectPlan). Nodes of one space (record or list element) are
// stored in pre-order, so a struct precedes its members.
struct Node {
  const Field* field = nullptr;
  std::string path;          // dotted, relative to the record or list element
  int32_t slot = 0;          // index into the space's scratch values
  int32_t parent_slot = -1;  // enclosing struct's slot; -1 at the top of the space
  int32_t column = -1;       // output column, scalars only
  int32_t object_plan = -1;  // structs only
  bool has_default = false;
  Value default_value;
  std::string default_storage;  // backing text for a string default
  std::unique_ptr<RE2> regex;
};

struct Member {
  std::string name;
  bool is_list = false;  // the flattened list (root plan only)
  int32_t node = -1;
};

// The keys of one JSON object that the schema knows.
struct ObjectPlan {
  std::vector<Member> members;

  // Keys usually arrive in schema order, so start after the last match.
  const Member* find(std::string_view key, size_t& hint) const {
    const size_t n = members.size();
    for (size_t k = 0; k < n; ++k) {
      size_t at = hint + k;
      if (at >= n) at -= n;
      if (members[at].name == key) {
        hint = at + 1;
        return &members[at];
      }
    }
    return nullptr;
  }
};

enum class SourceKind : uint8_t { kTop, kElement, kIndex, kIngest, kSourceType };

struct ColumnSource {
  SourceKind kind = SourceKind::kTop;
  int32_t slot = 0;
};

ColumnType column_type_for(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return ColumnType::kString;
    case FieldType::kEnum:
      return ColumnType::kString;
    case FieldType::kInt32:
      return ColumnType::kInt32;
    case FieldType::kInt64:
      return ColumnType::kInt64;
    case FieldType::kDouble:
      return ColumnType::kDouble;
    case FieldType::kBool:
      return ColumnType::kBool;
    case FieldType::kTimestamp:
      return ColumnType::kTimestamp;
    case FieldType::kStruct:
      break;
    case FieldType::kList:
      break;
  }
  throw std::invalid_argument("field type has no column");
}

int64_t epoch_multiplier(EpochUnit u) {
  switch (u) {
    case EpochUnit::kSeconds:
      return 1000000;
    case EpochUnit::kMillis:
      return 1000;
    case EpochUnit::kMicros:
      return 1;
  }
  return 1000;
}

bool epoch_int_to_micros(int64_t v, EpochUnit unit, int64_t& out) {
  return !__builtin_mul_overflow(v, epoch_multiplier(unit), &out);
}

bool epoch_double_to_micros(double v, EpochUnit unit, int64_t& out) {
  double us = v * static_cast<double>(epoch_multiplier(unit));
  if (!std::isfinite(us) || us < -9.2e18 || us > 9.2e18) return false;
  out = std::llround(us);
  return true;
}

std::string quoted_excerpt(std::string_view s) {
  return "\"" + truncate_utf8(s, kExcerptBytes) + "\"";
}

std::string format_number(double v) {
  return fmt::format("{}", v);
}

// Converts a default's text to a typed value at construction time.
void convert_default(Node& node) {
  const Field& f = *node.field;
  const std::string& text = *f.default_value;
  Value& v = node.default_value;
  v.state = State::kSet;
  auto fail = [&]() {
    throw std::invalid_argument(fmt::format("field '{}': default value '{}' is not a valid {}",
                                            node.path, text, field_type_name(f.type)));
  };
  const char* b = text.data();
  const char* e = text.data() + text.size();
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kEnum:
      node.default_storage = text;  // v.s is set from it when the default is applied
      if (f.type == FieldType::kEnum &&
          std::find(f.constraints.allowed.begin(), f.constraints.allowed.end(), text) ==
              f.constraints.allowed.end()) {
        fail();
      }
      return;
    case FieldType::kInt32:
    case FieldType::kInt64: {
      auto r = std::from_chars(b, e, v.i);
      if (r.ec != std::errc() || r.ptr != e) fail();
      if (f.type == FieldType::kInt32 &&
          (v.i < std::numeric_limits<int32_t>::min() || v.i > std::numeric_limits<int32_t>::max()))
        fail();
      return;
    }
    case FieldType::kDouble: {
      auto r = std::from_chars(b, e, v.d);
      if (r.ec != std::errc() || r.ptr != e) fail();
      return;
    }
    case FieldType::kBool:
      if (text == "true") {
        v.i = 1;
      } else if (text == "false") {
        v.i = 0;
      } else {
        fail();
      }
      return;
    case FieldType::kTimestamp: {
      if (auto ts = parse_iso8601(text)) {
        v.i = *ts;
        return;
      }
      int64_t n = 0;
      auto r = std::from_chars(b, e, n);
      if (r.ec != std::errc() || r.ptr != e || !epoch_int_to_micros(n, f.epoch_unit, v.i)) fail();
      return;
    }
    case FieldType::kStruct:
    case FieldType::kList:
      break;
  }
  throw std::invalid_argument(
      fmt::format("field '{}': defaults are only supported for scalar fields", node.path));
}

// The compiled schema: node tree, object plans and output column plan.
struct Plan {
  std::vector<Node> top_nodes;
  std::vector<Node> element_nodes;
  std::vector<ObjectPlan> plans;  // [0] is the record root
  int32_t element_plan = -1;
  const Field* list_field = nullptr;
  OutputSchema output;
  std::vector<ColumnSource> sources;
  std::string source_type;

  void build(const Schema& schema, const TransformsConfig& transforms) {
    if (transforms.flatten) {
      const Field* f = schema.find(transforms.flatten->field);
      if (!f) {
        throw std::invalid_argument(
            fmt::format("flatten: field '{}' is not in the schema", transforms.flatten->field));
      }
      if (f->type != FieldType::kList) {
        throw std::invalid_argument(fmt::format("flatten: field '{}' is a {}, not a list of struct",
                                                f->name, field_type_name(f->type)));
      }
      if (f->children.empty()) {
        throw std::invalid_argument(
            fmt::format("flatten: list '{}' has no element members", f->name));
      }
    }
    plans.emplace_back();
    add_fields(schema.fields, 0, -1, "", "", false, transforms);
    const AddFieldsConfig& add = transforms.add_fields;
    if (!add.ingest_timestamp_column.empty()) {
      add_column(add.ingest_timestamp_column, ColumnType::kTimestamp, {SourceKind::kIngest, 0});
    }
    if (!add.source_type.empty()) {
      if (add.source_type_column.empty()) {
        throw std::invalid_argument(
            "add_fields: source_type is set but source_type_column is empty");
      }
      source_type = add.source_type;
      add_column(add.source_type_column, ColumnType::kString, {SourceKind::kSourceType, 0});
    }
    std::set<std::string_view> names;
    for (const auto& c : output) {
      if (!names.insert(c.name).second) {
        throw std::invalid_argument(fmt::format(
            "output column '{}' is produced twice (check flatten prefix and add_fields)", c.name));
      }
    }
  }

  void add_column(const std::string& name, ColumnType type, ColumnSource source) {
    output.push_back(ColumnSpec{name, type});
    sources.push_back(source);
  }

  void add_fields(const std::vector<Field>& fields, int32_t plan_index, int32_t parent_slot,
                  const std::string& path_prefix, const std::string& column_prefix, bool in_element,
                  const TransformsConfig& transforms) {
    std::vector<Node>& nodes = in_element ? element_nodes : top_nodes;
    for (const Field& f : fields) {
      const std::string path = path_prefix + f.name;
      if (f.type == FieldType::kList) {
        const bool flattened = transforms.flatten && transforms.flatten->field == f.name &&
                               plan_index == 0 && !in_element;
        if (!flattened) {
          throw std::invalid_argument(fmt::format(
              "field '{}' is a list; lists must be exploded with transforms.flatten (only one "
              "top-level list of struct per schema can be flattened)",
              path));
        }
        if (f.default_value) {
          throw std::invalid_argument(
              fmt::format("field '{}': a list cannot have a default", path));
        }
        list_field = &f;
        plans[0].members.push_back(Member{f.name, true, -1});
        element_plan = static_cast<int32_t>(plans.size());
        plans.emplace_back();
        // The prefix is taken literally ("" gives bare member names); the
        // config loader fills in the "<field>_" default when the key is absent.
        add_fields(f.children, element_plan, -1, "", transforms.flatten->prefix, true, transforms);
        if (!transforms.flatten->index_column.empty()) {
          add_column(transforms.flatten->index_column, ColumnType::kInt32, {SourceKind::kIndex, 0});
        }
        continue;
      }
      Node node;
      node.field = &f;
      node.path = path;
      node.slot = static_cast<int32_t>(nodes.size());
      node.parent_slot = parent_slot;
      const int32_t node_index = node.slot;
      plans[plan_index].members.push_back(Member{f.name, false, node_index});
      if (f.type == FieldType::kStruct) {
        if (f.default_value) {
          throw std::invalid_argument(
              fmt::format("field '{}': a struct cannot have a default", path));
        }
        node.object_plan = static_cast<int32_t>(plans.size());
        plans.emplace_back();
        nodes.push_back(std::move(node));
        add_fields(f.children, nodes[node_index].object_plan, node_index, path + ".",
                   column_prefix + f.name + "_", in_element, transforms);
        continue;
      }
      if (f.type == FieldType::kEnum && f.constraints.allowed.empty()) {
        throw std::invalid_argument(fmt::format("field '{}': enum without allowed values", path));
      }
      if (f.constraints.regex) {
        node.regex = std::make_unique<RE2>(*f.constraints.regex, RE2::Quiet);
        if (!node.regex->ok()) {
          throw std::invalid_argument(fmt::format("field '{}': invalid regex '{}': {}", path,
                                                  *f.constraints.regex, node.regex->error()));
        }
      }
      if (f.default_value) {
        node.has_default = true;
        convert_default(node);
      }
      node.column = static_cast<int32_t>(output.size());
      add_column(column_prefix + f.name, column_type_for(f.type),
                 {in_element ? SourceKind::kElement : SourceKind::kTop, node_index});
      nodes.push_back(std::move(node));
    }
  }
};

// Exact depth check, only run when the record has more openers than the limit.
bool depth_within(std::string_view b, uint32_t max_depth) {
  uint32_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < b.size(); ++i) {
    const char c = b[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// Counts '{' and '[' bytes (an upper bound of the nesting depth), 8 at a time.
size_t count_openers(std::string_view b) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  size_t n = 0;
  size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    // '{' is 0x7B and '[' is 0x5B: OR-ing 0x20 maps both to 0x7B.
    const uint64_t x = (w | (0x20 * kOnes)) ^ (0x7B * kOnes);
    const uint64_t t = ((x & kLow7) + kLow7) | x;  // high bit clear exactly for zero bytes
    n += static_cast<size_t>(__builtin_popcountll(~t & (0x80 * kOnes)));
  }
  for (; i < b.size(); ++i) n += (b[i] | 0x20) == 0x7B;
  return n;
}

const char* rule_for(simdjson::error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return "utf8";
    case simdjson::DEPTH_ERROR:
      return "depth";
    default:
      return "json";
  }
}

}  // namespace

OutputSchema derive_output_schema(const Schema& schema, const TransformsConfig& transforms) {
  Plan plan;
  plan.build(schema, transforms);
  return plan.output;
}

struct Parser::Impl {
  Schema schema;
  LimitsConfig limits;
  Plan plan;
  ondemand::parser json;
  std::string buffer;
  std::vector<Value> top;
  std::vector<Value> elements;  // element_stride values per list element
  size_t element_stride = 0;
  size_t element_count = 0;
  State list_state = State::kAbsent;
  int64_t element_index = -1;  // element being parsed/resolved, for reject paths
  Reject reject;

  Impl(const Schema& s, const TransformsConfig& t, const LimitsConfig& l)
      : schema(s), limits(l), json(simdjson::SIMDJSON_MAXSIZE_BYTES) {
    plan.build(schema, t);
    top.resize(plan.top_nodes.size());
    element_stride = plan.element_nodes.size();
  }

  // --- reject helpers: only allocate on the failure path ---

  bool fail_record(const char* rule, std::string message) {
    reject.field.clear();
    reject.rule = rule;
    reject.message = std::move(message);
    return false;
  }

  bool fail_json(simdjson::error_code e) {
    return fail_record(rule_for(e), fmt::format("invalid JSON: {}", simdjson::error_message(e)));
  }

  std::string path_of(const Node& n, bool in_element) const {
    if (!in_element) return n.path;
    return fmt::format("{}[{}].{}", plan.list_field->name, element_index, n.path);
  }

  bool fail_field(const Node& n, bool in_element, const char* rule, std::string message) {
    reject.field = path_of(n, in_element);
    reject.rule = rule;
    reject.message = std::move(message);
    return false;
  }

  static std::string raw_excerpt(ondemand::value& v) {
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    return truncate_utf8(raw, kExcerptBytes);
  }

  bool type_mismatch(const Node& n, bool in_element, ondemand::value& v, const char* expected) {
    return fail_field(n, in_element, "type",
                      fmt::format("expected {}, got {}", expected, raw_excerpt(v)));
  }

  // A number that did not convert: malformed JSON ("json") or a valid number
  // of the wrong kind, e.g. 3.5 or 1e30 for an integer ("type").
  bool number_error(simdjson::error_code e, const Node& n, bool in_element, ondemand::value& v,
                    const char* expected) {
    ondemand::number_type nt;
    if (auto malformed = v.get_number_type().get(nt)) return fail_json(malformed);
    if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE) {
      return type_mismatch(n, in_element, v, expected);
    }
    return fail_json(e);
  }

  // Returns false (and fills `reject`) unless `v` is a JSON null literal.
  bool read_null(ondemand::value& v) {
    bool is_null = false;
    if (auto e = v.is_null().get(is_null)) return fail_json(e);
    if (!is_null) return fail_record("json", "invalid JSON literal");
    return true;
  }

  // --- parsing ---

  // `show()` formats the value for the message, only when a check fails.
  template <typename Show>
  bool check_range(const Node& n, bool in_element, double x, const Show& show) {
    const Constraints& c = n.field->constraints;
    if (c.min && x < *c.min) {
      return fail_field(
          n, in_element, "range",
          fmt::format("value {} is below the minimum {}", show(), format_number(*c.min)));
    }
    if (c.max && x > *c.max) {
      return fail_field(
          n, in_element, "range",
          fmt::format("value {} is above the maximum {}", show(), format_number(*c.max)));
    }
    return true;
  }

  bool check_string(const Node& n, bool in_element, std::string_view s) {
    const Constraints& c = n.field->constraints;
    if (c.max_length && s.size() > *c.max_length) {
      return fail_field(n, in_element, "max_length",
                        fmt::format("{} bytes, at most {} allowed: {}", s.size(), *c.max_length,
                                    quoted_excerpt(s)));
    }
    if (!c.allowed.empty() && std::find(c.allowed.begin(), c.allowed.end(), s) == c.allowed.end()) {
      return fail_field(
          n, in_element, "enum",
          fmt::format("{} is not one of [{}]", quoted_excerpt(s), fmt::join(c.allowed, ", ")));
    }
    if (n.regex && !RE2::FullMatch(s, *n.regex)) {
      return fail_field(
          n, in_element, "regex",
          fmt::format("{} does not match /{}/", quoted_excerpt(s), n.regex->pattern()));
    }
    return true;
  }

  bool parse_scalar(ondemand::value& v, const Node& n, bool in_element, Value& out) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return fail_json(e);
    if (t == ondemand::json_type::null) {
      if (!read_null(v)) return false;
      out.state = State::kNull;
      return true;
    }
    const Field& f = *n.field;
    switch (f.type) {
      case FieldType::kString:
      case FieldType::kEnum: {
        if (t != ondemand::json_type::string) return type_mismatch(n, in_element, v, "a string");
        std::string_view s;
        if (auto e = v.get_string().get(s)) return fail_json(e);
        if (!check_string(n, in_element, s)) return false;
        out.s = s;
        break;
      }
      case FieldType::kInt32:
      case FieldType::kInt64: {
        const char* expected = f.type == FieldType::kInt32 ? "an int32" : "an int64";
        if (t != ondemand::json_type::number) return type_mismatch(n, in_element, v, expected);
        int64_t x = 0;
        if (auto e = v.get_int64().get(x)) return number_error(e, n, in_element, v, expected);
        if (f.type == FieldType::kInt32 &&
            (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max())) {
          return fail_field(n, in_element, "type", fmt::format("{} is out of int32 range", x));
        }
        if ((f.constraints.min || f.constraints.max) &&
            !check_range(n, in_element, static_cast<double>(x), [x] { return std::to_string(x); }))
          return false;
        out.i = x;
        break;
      }
      case FieldType::kDouble: {
        if (t != ondemand::json_type::number) return type_mismatch(n, in_element, v, "a number");
        double x = 0;
        if (auto e = v.get_double().get(x)) return number_error(e, n, in_element, v, "a number");
        if ((f.constraints.min || f.constraints.max) &&
            !check_range(n, in_element, x, [x] { return format_number(x); }))
          return false;
        out.d = x;
        break;
      }
      case FieldType::kBool: {
        if (t != ondemand::json_type::boolean) return type_mismatch(n, in_element, v, "a boolean");
        bool x = false;
        if (auto e = v.get_bool().get(x)) return fail_json(e);
        out.i = x ? 1 : 0;
        break;
      }
      case FieldType::kTimestamp: {
        if (t == ondemand::json_type::string) {
          std::string_view s;
          if (auto e = v.get_string().get(s)) return fail_json(e);
          auto ts = parse_iso8601(s);
          if (!ts) {
            return fail_field(
                n, in_element, "type",
                fmt::format("expected an ISO-8601 timestamp, got {}", quoted_excerpt(s)));
          }
          out.i = *ts;
        } else if (t == ondemand::json_type::number) {
          ondemand::number_type nt;
          if (auto e = v.get_number_type().get(nt)) return fail_json(e);
          bool ok = false;
          if (nt == ondemand::number_type::signed_integer) {
            int64_t x = 0;
            if (auto e = v.get_int64().get(x)) return fail_json(e);
            ok = epoch_int_to_micros(x, f.epoch_unit, out.i);
          } else {
            double x = 0;
            if (auto e = v.get_double().get(x)) return fail_json(e);
            ok = epoch_double_to_micros(x, f.epoch_unit, out.i);
          }
          if (!ok) return type_mismatch(n, in_element, v, "an epoch timestamp in range");
        } else {
          return type_mismatch(n, in_element, v, "a timestamp (ISO-8601 string or epoch number)");
        }
        break;
      }
      case FieldType::kStruct:
      case FieldType::kList:
        return fail_record("json", "internal: scalar plan for nested field");
    }
    out.state = State::kSet;
    return true;
  }

  bool parse_object(ondemand::object& obj, int32_t plan_index, bool in_element, Value* scratch) {
    const ObjectPlan& op = plan.plans[static_cast<size_t>(plan_index)];
    std::vector<Node>& nodes = in_element ? plan.element_nodes : plan.top_nodes;
    size_t hint = 0;
    for (auto field_result : obj) {
      ondemand::field field;
      if (auto e = std::move(field_result).get(field)) return fail_json(e);
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return fail_json(e);
      const Member* m = op.find(key, hint);
      if (!m) continue;  // unknown keys are skipped by the iterator
      ondemand::value& v = field.value();
      if (m->is_list) {
        if (!parse_list(v)) return false;
        continue;
      }
      const Node& n = nodes[static_cast<size_t>(m->node)];
      if (n.object_plan >= 0) {
        if (!parse_struct(v, n, in_element, scratch)) return false;
      } else if (!parse_scalar(v, n, in_element, scratch[n.slot])) {
        return false;
      }
    }
    return true;
  }

  bool parse_struct(ondemand::value& v, const Node& n, bool in_element, Value* scratch) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return fail_json(e);
    if (t == ondemand::json_type::null) {
      if (!read_null(v)) return false;
      scratch[n.slot].state = State::kNull;
      return true;
    }
    if (t != ondemand::json_type::object) return type_mismatch(n, in_element, v, "an object");
    ondemand::object o;
    if (auto e = v.get_object().get(o)) return fail_json(e);
    scratch[n.slot].state = State::kSet;
    return parse_object(o, n.object_plan, in_element, scratch);
  }

  bool fail_list(const char* rule, std::string message) {
    reject.field = plan.list_field->name;
    if (element_index >= 0) reject.field += fmt::format("[{}]", element_index);
    reject.rule = rule;
    reject.message = std::move(message);
    return false;
  }

  bool parse_list(ondemand::value& v) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return fail_json(e);
    element_count = 0;
    if (t == ondemand::json_type::null) {
      if (!read_null(v)) return false;
      list_state = State::kNull;
      return true;
    }
    if (t != ondemand::json_type::array) {
      return fail_list("type", fmt::format("expected an array, got {}", raw_excerpt(v)));
    }
    ondemand::array a;
    if (auto e = v.get_array().get(a)) return fail_json(e);
    list_state = State::kSet;
    for (auto element_result : a) {
      ondemand::value ev;
      if (auto e = std::move(element_result).get(ev)) return fail_json(e);
      element_index = static_cast<int64_t>(element_count);
      ondemand::json_type et;
      if (auto e = ev.type().get(et)) return fail_json(e);
      if (et != ondemand::json_type::object) {
        return fail_list("type", fmt::format("expected an object, got {}", raw_excerpt(ev)));
      }
      ondemand::object eo;
      if (auto e = ev.get_object().get(eo)) return fail_json(e);
      const size_t base = element_count * element_stride;
      if (elements.size() < base + element_stride) elements.resize(base + element_stride);
      Value* scratch = elements.data() + base;
      std::fill(scratch, scratch + element_stride, Value{});
      ++element_count;
      if (!parse_object(eo, plan.element_plan, true, scratch)) return false;
    }
    element_index = -1;
    return true;
  }

  // --- missing, null and defaults ---

  bool resolve(std::vector<Node>& nodes, Value* scratch, bool in_element) {
    for (const Node& n : nodes) {
      Value& v = scratch[n.slot];
      if (v.state == State::kSet) continue;
      const bool parent_present = n.parent_slot < 0 || scratch[n.parent_slot].state == State::kSet;
      const Field& f = *n.field;
      if (parent_present && f.required) {
        return fail_field(
            n, in_element, "required",
            v.state == State::kAbsent ? "missing required field" : "null for a required field");
      }
      if (v.state == State::kNull && parent_present && !f.nullable && !n.has_default) {
        return fail_field(n, in_element, "null", "null for a non-nullable field");
      }
      // Explicit null on a nullable field stays NULL; otherwise use the default.
      if (v.state == State::kNull && f.nullable && parent_present) continue;
      if (n.has_default) {
        v = n.default_value;
        v.s = n.default_storage;  // the node may have moved since the default was made
      } else {
        v.state = State::kNull;
      }
    }
    return true;
  }

  bool resolve_all() {
    if (!resolve(plan.top_nodes, top.data(), false)) return false;
    if (plan.list_field) {
      const Field& f = *plan.list_field;
      if (list_state != State::kSet) {
        if (f.required) {
          return fail_list("required", list_state == State::kAbsent ? "missing required field"
                                                                    : "null for a required field");
        }
        if (list_state == State::kNull && !f.nullable) {
          return fail_list("null", "null for a non-nullable field");
        }
      }
      for (size_t i = 0; i < element_count; ++i) {
        element_index = static_cast<int64_t>(i);
        if (!resolve(plan.element_nodes, elements.data() + i * element_stride, true)) return false;
      }
      element_index = -1;
    }
    return true;
  }

  // `capacity`: readable bytes from bytes.data() (at least bytes.size()).
  bool parse_record(std::string_view bytes, size_t capacity) {
    if (bytes.size() > limits.max_record_bytes) {
      return fail_record("record_size", fmt::format("record is {} bytes, the limit is {}",
                                                    bytes.size(), limits.max_record_bytes));
    }
    if (count_openers(bytes) > limits.max_depth && !depth_within(bytes, limits.max_depth)) {
      return fail_record("depth", fmt::format("nesting deeper than {}", limits.max_depth));
    }
    std::fill(top.begin(), top.end(), Value{});
    element_count = 0;
    element_index = -1;
    list_state = State::kAbsent;

    simdjson::padded_string_view input;
    if (capacity >= bytes.size() + simdjson::SIMDJSON_PADDING) {
      // In place: the padding is read, never interpreted.
      input = simdjson::padded_string_view(bytes.data(), bytes.size(), capacity);
    } else {
      if (buffer.capacity() < bytes.size() + simdjson::SIMDJSON_PADDING) {
        buffer.reserve(bytes.size() + simdjson::SIMDJSON_PADDING);
      }
      buffer.assign(bytes.data(), bytes.size());
      input = simdjson::padded_string_view(buffer.data(), buffer.size(), buffer.capacity());
    }
    ondemand::document doc;
    if (auto e = json.iterate(input).get(doc)) return fail_json(e);
    ondemand::json_type t;
    if (auto e = doc.type().get(t)) return fail_json(e);
    if (t != ondemand::json_type::object) {
      return fail_record("json", fmt::format("record is not a JSON object: {}",
                                             truncate_utf8(bytes, kExcerptBytes)));
    }
    ondemand::object obj;
    if (auto e = doc.get_object().get(obj)) return fail_json(e);
    if (!parse_object(obj, 0, false, top.data())) return false;
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
      return fail_record("json", "unexpected content after the JSON object");
    }
    return resolve_all();
  }

  // --- output ---

  static void push(Column& c, ColumnType type, const Value& v) {
    if (v.state != State::kSet) {
      c.push_null();
      return;
    }
    switch (type) {
      case ColumnType::kString:
        c.push_string(v.s);
        break;
      case ColumnType::kInt32:
        c.push_int32(static_cast<int32_t>(v.i));
        break;
      case ColumnType::kInt64:
        c.push_int64(v.i);
        break;
      case ColumnType::kTimestamp:
        c.push_int64(v.i);
        break;
      case ColumnType::kDouble:
        c.push_double(v.d);
        break;
      case ColumnType::kBool:
        c.push_bool(v.i != 0);
        break;
    }
  }

  // The same value `rows` times (a top-level field on every flattened row):
  // one type dispatch, then a plain loop.
  static void push_repeated(Column& c, ColumnType type, const Value& v, size_t rows) {
    if (v.state != State::kSet) {
      for (size_t r = 0; r < rows; ++r) c.push_null();
      return;
    }
    switch (type) {
      case ColumnType::kString:
        for (size_t r = 0; r < rows; ++r) c.push_string(v.s);
        break;
      case ColumnType::kInt32:
        for (size_t r = 0; r < rows; ++r) c.push_int32(static_cast<int32_t>(v.i));
        break;
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
        for (size_t r = 0; r < rows; ++r) c.push_int64(v.i);
        break;
      case ColumnType::kDouble:
        for (size_t r = 0; r < rows; ++r) c.push_double(v.d);
        break;
      case ColumnType::kBool:
        for (size_t r = 0; r < rows; ++r) c.push_bool(v.i != 0);
        break;
    }
  }

  size_t emit(RecordBatch& out, int64_t ingest_time) {
    const size_t rows = std::max<size_t>(1, element_count);
    for (size_t ci = 0; ci < plan.sources.size(); ++ci) {
      Column& col = out.columns[ci];
      const ColumnType type = plan.output[ci].type;
      const ColumnSource& src = plan.sources[ci];
      switch (src.kind) {
        case SourceKind::kTop:
          push_repeated(col, type, top[src.slot], rows);
          break;
        case SourceKind::kElement:
          if (element_count == 0) {
            col.push_null();
          } else {
            for (size_t r = 0; r < rows; ++r)
              push(col, type, elements[r * element_stride + src.slot]);
          }
          break;
        case SourceKind::kIndex:
          for (size_t r = 0; r < rows; ++r) col.push_int32(static_cast<int32_t>(r));
          break;
        case SourceKind::kIngest:
          for (size_t r = 0; r < rows; ++r) col.push_int64(ingest_time);
          break;
        case SourceKind::kSourceType:
          for (size_t r = 0; r < rows; ++r) col.push_string(plan.source_type);
          break;
      }
    }
    return rows;
  }
};

Parser::Parser(const Schema& schema, const TransformsConfig& transforms, const LimitsConfig& limits)
    : impl_(std::make_unique<Impl>(schema, transforms, limits)) {}
Parser::~Parser() = default;
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;

const OutputSchema& Parser::output_schema() const {
  return impl_->plan.output;
}

void Parser::process(const RawBatch& in, RecordBatch& out, std::vector<Reject>& rejects,
                     ParseStats& stats, int64_t ingest_time, std::vector<uint32_t>* row_records) {
  Impl& im = *impl_;
  if (out.columns.size() != im.plan.output.size()) {
    throw std::invalid_argument("Parser::process: output batch does not follow output_schema()");
  }
  static_assert(Parser::kPadding >= simdjson::SIMDJSON_PADDING);
  for (size_t i = 0; i < in.records.size(); ++i) {
    ++stats.records_in;
    const RawRecord& r = in.records[i];
    if (im.parse_record(in.bytes(r), in.arena.capacity() - r.begin)) {
      size_t rows = im.emit(out, ingest_time);
      stats.rows_out += static_cast<int64_t>(rows);
      if (row_records) row_records->insert(row_records->end(), rows, static_cast<uint32_t>(i));
      ++stats.records_accepted;
    } else {
      im.reject.record_index = static_cast<uint32_t>(i);
      rejects.push_back(im.reject);
      ++stats.records_rejected;
    }
  }
}

}  // namespace sluice
