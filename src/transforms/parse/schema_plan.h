// The schema compiled for parsing, shared by the JSON and the text parsers:
// one scratch slot per scalar field, the output column plan, compiled
// regexes and converted defaults (Plan), and the per-record state that both
// parsers fill (RecordBuilder): constraint checks, rejects, missing/null/
// default resolution and the emission of rows into a RecordBatch. A format
// only decides how a value is read from its input; what happens to the value
// afterwards is implemented here, once.
//
// Threading: a Plan is immutable once built and may be shared by parsers on
// several threads; a RecordBuilder is used by one thread at a time.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/pipeline.h"
#include "core/batch.h"
#include "core/record.h"
#include "core/schema.h"
#include "transforms/parse/parser.h"

namespace sluice::parse {

// Longest excerpt of an offending value quoted in a reject message.
constexpr size_t kExcerptBytes = 80;

enum class State : uint8_t { kAbsent, kNull, kSet };

// One field's value for the record being parsed. Strings point into the
// parser's input or scratch buffers (valid until the next record) or into
// the plan (defaults).
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

// The keys of one object (record, struct or list element) that the schema knows.
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

  // Throws std::invalid_argument for impossible combinations (see
  // derive_output_schema in parser.h), a bad regex or default.
  void build(const Schema& schema, const TransformsConfig& transforms);

 private:
  void add_column(const std::string& name, ColumnType type, ColumnSource source);
  void add_fields(const std::vector<Field>& fields, int32_t plan_index, int32_t parent_slot,
                  const std::string& path_prefix, const std::string& column_prefix, bool in_element,
                  const TransformsConfig& transforms);
};

// Epoch number -> UTC micros in the field's unit; false when out of range.
bool epoch_int_to_micros(int64_t v, EpochUnit unit, int64_t& out);
bool epoch_double_to_micros(double v, EpochUnit unit, int64_t& out);

// "\"<text>\"", cut to kExcerptBytes at a code point boundary.
std::string quoted_excerpt(std::string_view s);

// Scratch values of the record being parsed, the checks every format applies
// to them, and the rows they become. A parser calls start(), sets values
// (checking each with check_range/check_string), then finish(); a false
// return anywhere means `reject` describes why and nothing was written.
class RecordBuilder {
 public:
  explicit RecordBuilder(const Plan& plan);

  const Plan& plan() const { return plan_; }

  // Clears the scratch values for a new record.
  void start();

  Value* top() { return top_.data(); }
  // Scratch for the next list element (cleared); counts it.
  Value* add_element();
  // Forgets the elements added so far (a list value seen again).
  void clear_elements() { element_count_ = 0; }
  void set_list_state(State s) { list_state_ = s; }
  // Which list element is being parsed (-1: none), for reject paths.
  void set_element_index(int64_t i) { element_index_ = i; }
  size_t element_count() const { return element_count_; }

  // --- rejects: only allocate on the failure path; always return false ---
  bool fail_record(const char* rule, std::string message);
  bool fail_field(const Node& n, bool in_element, const char* rule, std::string message);
  bool fail_list(const char* rule, std::string message);

  // Constraint checks of a value about to be stored in `n`. `show()`
  // formats the value for the message, only when a check fails.
  template <typename Show>
  bool check_range(const Node& n, bool in_element, double x, const Show& show) {
    const Constraints& c = n.field->constraints;
    if (c.min && x < *c.min) return range_error(n, in_element, show(), *c.min, "below the minimum");
    if (c.max && x > *c.max) return range_error(n, in_element, show(), *c.max, "above the maximum");
    return true;
  }
  bool check_string(const Node& n, bool in_element, std::string_view s);

  // Missing, null and defaults of every field, then required/nullable
  // checks; call once the record's values are all set.
  bool finish();

  // Appends the record's rows (one per list element, at least one) to `out`;
  // returns how many.
  size_t emit(RecordBatch& out, int64_t ingest_time);

  Reject reject;

 private:
  bool range_error(const Node& n, bool in_element, const std::string& shown, double bound,
                   const char* relation);
  std::string path_of(const Node& n, bool in_element) const;
  bool resolve(const std::vector<Node>& nodes, Value* scratch, bool in_element);

  const Plan& plan_;
  std::vector<Value> top_;
  std::vector<Value> elements_;  // element_stride_ values per list element
  size_t element_stride_ = 0;
  size_t element_count_ = 0;
  State list_state_ = State::kAbsent;
  int64_t element_index_ = -1;
};

// The record loop every format shares: `parse_one(index, record)` reads one
// record into `rb` (true: accepted, rb.finish() done); accepted records are
// emitted, rejected ones become Rejects. `parse_one` is a lambda or functor,
// so the format is chosen once per batch and inlined, never called through
// an interface per record.
template <typename ParseOne>
void process_records(const RawBatch& in, RecordBuilder& rb, RecordBatch& out,
                     std::vector<Reject>& rejects, ParseStats& stats, int64_t ingest_time,
                     std::vector<uint32_t>* row_records, ParseOne&& parse_one) {
  for (size_t i = 0; i < in.records.size(); ++i) {
    ++stats.records_in;
    if (parse_one(static_cast<uint32_t>(i), in.records[i])) {
      const size_t rows = rb.emit(out, ingest_time);
      stats.rows_out += static_cast<int64_t>(rows);
      if (row_records) row_records->insert(row_records->end(), rows, static_cast<uint32_t>(i));
      ++stats.records_accepted;
    } else {
      rb.reject.record_index = static_cast<uint32_t>(i);
      rejects.push_back(rb.reject);
      ++stats.records_rejected;
    }
  }
}

}  // namespace sluice::parse
