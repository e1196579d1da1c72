// Plan: compiles the schema into scratch slots, output columns, compiled
// regexes and converted defaults. RecordBuilder: per-record checks,
// resolution of missing/null/default values and row emission, shared by the
// JSON and text parsers, so that a rejected record never leaves a partial row
// behind whatever its format.
#include "transforms/parse/schema_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "core/time.h"
#include "transforms/parse/utf8.h"

namespace sluice::parse {

namespace {

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

void push(Column& c, ColumnType type, const Value& v) {
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
void push_repeated(Column& c, ColumnType type, const Value& v, size_t rows) {
  if (rows == 1) {
    push(c, type, v);
    return;
  }
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

}  // namespace

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

// --- Plan ---

void Plan::build(const Schema& schema, const TransformsConfig& transforms) {
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
      throw std::invalid_argument("add_fields: source_type is set but source_type_column is empty");
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

void Plan::add_column(const std::string& name, ColumnType type, ColumnSource source) {
  output.push_back(ColumnSpec{name, type});
  sources.push_back(source);
}

void Plan::add_fields(const std::vector<Field>& fields, int32_t plan_index, int32_t parent_slot,
                      const std::string& path_prefix, const std::string& column_prefix,
                      bool in_element, const TransformsConfig& transforms) {
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
        throw std::invalid_argument(fmt::format("field '{}': a list cannot have a default", path));
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

// --- RecordBuilder ---

RecordBuilder::RecordBuilder(const Plan& plan) : plan_(plan) {
  top_.resize(plan_.top_nodes.size());
  element_stride_ = plan_.element_nodes.size();
}

void RecordBuilder::start() {
  std::fill(top_.begin(), top_.end(), Value{});
  element_count_ = 0;
  element_index_ = -1;
  list_state_ = State::kAbsent;
}

Value* RecordBuilder::add_element() {
  const size_t base = element_count_ * element_stride_;
  if (elements_.size() < base + element_stride_) elements_.resize(base + element_stride_);
  Value* scratch = elements_.data() + base;
  std::fill(scratch, scratch + element_stride_, Value{});
  ++element_count_;
  return scratch;
}

bool RecordBuilder::fail_record(const char* rule, std::string message) {
  reject.field.clear();
  reject.rule = rule;
  reject.message = std::move(message);
  return false;
}

std::string RecordBuilder::path_of(const Node& n, bool in_element) const {
  if (!in_element) return n.path;
  return fmt::format("{}[{}].{}", plan_.list_field->name, element_index_, n.path);
}

bool RecordBuilder::fail_field(const Node& n, bool in_element, const char* rule,
                               std::string message) {
  reject.field = path_of(n, in_element);
  reject.rule = rule;
  reject.message = std::move(message);
  return false;
}

bool RecordBuilder::fail_list(const char* rule, std::string message) {
  reject.field = plan_.list_field->name;
  if (element_index_ >= 0) reject.field += fmt::format("[{}]", element_index_);
  reject.rule = rule;
  reject.message = std::move(message);
  return false;
}

bool RecordBuilder::range_error(const Node& n, bool in_element, const std::string& shown,
                                double bound, const char* relation) {
  return fail_field(n, in_element, "range",
                    fmt::format("value {} is {} {}", shown, relation, format_number(bound)));
}

bool RecordBuilder::check_string(const Node& n, bool in_element, std::string_view s) {
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
    return fail_field(n, in_element, "regex",
                      fmt::format("{} does not match /{}/", quoted_excerpt(s), n.regex->pattern()));
  }
  return true;
}

bool RecordBuilder::resolve(const std::vector<Node>& nodes, Value* scratch, bool in_element) {
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
      v.s = n.default_storage;
    } else {
      v.state = State::kNull;
    }
  }
  return true;
}

bool RecordBuilder::finish() {
  if (!resolve(plan_.top_nodes, top_.data(), false)) return false;
  if (plan_.list_field) {
    const Field& f = *plan_.list_field;
    if (list_state_ != State::kSet) {
      if (f.required) {
        return fail_list("required", list_state_ == State::kAbsent ? "missing required field"
                                                                   : "null for a required field");
      }
      if (list_state_ == State::kNull && !f.nullable) {
        return fail_list("null", "null for a non-nullable field");
      }
    }
    for (size_t i = 0; i < element_count_; ++i) {
      element_index_ = static_cast<int64_t>(i);
      if (!resolve(plan_.element_nodes, elements_.data() + i * element_stride_, true)) return false;
    }
    element_index_ = -1;
  }
  return true;
}

size_t RecordBuilder::emit(RecordBatch& out, int64_t ingest_time) {
  const size_t rows = std::max<size_t>(1, element_count_);
  for (size_t ci = 0; ci < plan_.sources.size(); ++ci) {
    Column& col = out.columns[ci];
    const ColumnType type = plan_.output[ci].type;
    const ColumnSource& src = plan_.sources[ci];
    switch (src.kind) {
      case SourceKind::kTop:
        push_repeated(col, type, top_[src.slot], rows);
        break;
      case SourceKind::kElement:
        if (element_count_ == 0) {
          col.push_null();
        } else {
          for (size_t r = 0; r < rows; ++r)
            push(col, type, elements_[r * element_stride_ + src.slot]);
        }
        break;
      case SourceKind::kIndex:
        for (size_t r = 0; r < rows; ++r) col.push_int32(static_cast<int32_t>(r));
        break;
      case SourceKind::kIngest:
        for (size_t r = 0; r < rows; ++r) col.push_int64(ingest_time);
        break;
      case SourceKind::kSourceType:
        for (size_t r = 0; r < rows; ++r) col.push_string(plan_.source_type);
        break;
    }
  }
  return rows;
}

}  // namespace sluice::parse
