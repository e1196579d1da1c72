// JsonRecordParser: walks each record's JSON object once with simdjson On
// Demand, storing typed values in the RecordBuilder's scratch slots; the
// builder resolves missing/null/defaults and writes the rows afterwards.
#include "transforms/parse/json/json_parser.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "core/time.h"
#include "transforms/parse/utf8.h"

namespace sluice::parse {

namespace ondemand = simdjson::ondemand;

namespace {

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

std::string format_number(double v) {
  return fmt::format("{}", v);
}

}  // namespace

struct JsonRecordParser::Walk {
  const Plan& plan;
  RecordBuilder& rb;

  bool fail_json(simdjson::error_code e) {
    return rb.fail_record(rule_for(e), fmt::format("invalid JSON: {}", simdjson::error_message(e)));
  }

  static std::string raw_excerpt(ondemand::value& v) {
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    return truncate_utf8(raw, kExcerptBytes);
  }

  bool type_mismatch(const Node& n, bool in_element, ondemand::value& v, const char* expected) {
    return rb.fail_field(n, in_element, "type",
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

  // Returns false (and fills the reject) unless `v` is a JSON null literal.
  bool read_null(ondemand::value& v) {
    bool is_null = false;
    if (auto e = v.is_null().get(is_null)) return fail_json(e);
    if (!is_null) return rb.fail_record("json", "invalid JSON literal");
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
        if (!rb.check_string(n, in_element, s)) return false;
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
          return rb.fail_field(n, in_element, "type", fmt::format("{} is out of int32 range", x));
        }
        if ((f.constraints.min || f.constraints.max) &&
            !rb.check_range(n, in_element, static_cast<double>(x),
                            [x] { return std::to_string(x); }))
          return false;
        out.i = x;
        break;
      }
      case FieldType::kDouble: {
        if (t != ondemand::json_type::number) return type_mismatch(n, in_element, v, "a number");
        double x = 0;
        if (auto e = v.get_double().get(x)) return number_error(e, n, in_element, v, "a number");
        if ((f.constraints.min || f.constraints.max) &&
            !rb.check_range(n, in_element, x, [x] { return format_number(x); }))
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
            return rb.fail_field(
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
        return rb.fail_record("json", "internal: scalar plan for nested field");
    }
    out.state = State::kSet;
    return true;
  }

  bool parse_object(ondemand::object& obj, int32_t plan_index, bool in_element, Value* scratch) {
    const ObjectPlan& op = plan.plans[static_cast<size_t>(plan_index)];
    const std::vector<Node>& nodes = in_element ? plan.element_nodes : plan.top_nodes;
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

  bool parse_list(ondemand::value& v) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return fail_json(e);
    rb.clear_elements();
    if (t == ondemand::json_type::null) {
      if (!read_null(v)) return false;
      rb.set_list_state(State::kNull);
      return true;
    }
    if (t != ondemand::json_type::array) {
      return rb.fail_list("type", fmt::format("expected an array, got {}", raw_excerpt(v)));
    }
    ondemand::array a;
    if (auto e = v.get_array().get(a)) return fail_json(e);
    rb.set_list_state(State::kSet);
    for (auto element_result : a) {
      ondemand::value ev;
      if (auto e = std::move(element_result).get(ev)) return fail_json(e);
      rb.set_element_index(static_cast<int64_t>(rb.element_count()));
      ondemand::json_type et;
      if (auto e = ev.type().get(et)) return fail_json(e);
      if (et != ondemand::json_type::object) {
        return rb.fail_list("type", fmt::format("expected an object, got {}", raw_excerpt(ev)));
      }
      ondemand::object eo;
      if (auto e = ev.get_object().get(eo)) return fail_json(e);
      Value* scratch = rb.add_element();
      if (!parse_object(eo, plan.element_plan, true, scratch)) return false;
    }
    rb.set_element_index(-1);
    return true;
  }
};

JsonRecordParser::JsonRecordParser(const Plan& plan, const LimitsConfig& limits)
    : plan_(plan), limits_(limits), json_(simdjson::SIMDJSON_MAXSIZE_BYTES) {}

bool JsonRecordParser::parse(std::string_view bytes, size_t capacity, RecordBuilder& rb) {
  rb.start();
  if (bytes.size() > limits_.max_record_bytes) {
    return rb.fail_record("record_size", fmt::format("record is {} bytes, the limit is {}",
                                                     bytes.size(), limits_.max_record_bytes));
  }
  if (count_openers(bytes) > limits_.max_depth && !depth_within(bytes, limits_.max_depth)) {
    return rb.fail_record("depth", fmt::format("nesting deeper than {}", limits_.max_depth));
  }
  simdjson::padded_string_view input;
  if (capacity >= bytes.size() + simdjson::SIMDJSON_PADDING) {
    // In place: the padding is read, never interpreted.
    input = simdjson::padded_string_view(bytes.data(), bytes.size(), capacity);
  } else {
    if (buffer_.capacity() < bytes.size() + simdjson::SIMDJSON_PADDING) {
      buffer_.reserve(bytes.size() + simdjson::SIMDJSON_PADDING);
    }
    buffer_.assign(bytes.data(), bytes.size());
    input = simdjson::padded_string_view(buffer_.data(), buffer_.size(), buffer_.capacity());
  }
  Walk walk{plan_, rb};
  ondemand::document doc;
  if (auto e = json_.iterate(input).get(doc)) return walk.fail_json(e);
  ondemand::json_type t;
  if (auto e = doc.type().get(t)) return walk.fail_json(e);
  if (t != ondemand::json_type::object) {
    return rb.fail_record("json", fmt::format("record is not a JSON object: {}",
                                              truncate_utf8(bytes, kExcerptBytes)));
  }
  ondemand::object obj;
  if (auto e = doc.get_object().get(obj)) return walk.fail_json(e);
  if (!walk.parse_object(obj, 0, false, rb.top())) return false;
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return rb.fail_record("json", "unexpected content after the JSON object");
  }
  return rb.finish();
}

}  // namespace sluice::parse
