// Typed schema of a pipeline's input records: the fields a record may carry,
// their types, nullability, defaults and constraints. Built by src/config from
// YAML; read by the parser and validator (src/transforms/parse).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

enum class FieldType {
  kString,
  kInt32,
  kInt64,
  kDouble,
  kBool,
  kTimestamp,  // ISO-8601 string or epoch number; stored as UTC microseconds
  kEnum,       // a string restricted to `allowed`
  kStruct,     // nested object; children flattened into `parent_child` columns
  kList,       // list of struct; exploded into rows by the flatten transform
};

const char* field_type_name(FieldType type);

// Unit of a numeric timestamp in the input (ISO strings carry their own).
enum class EpochUnit { kSeconds, kMillis, kMicros };

struct Constraints {
  std::optional<double> min;           // inclusive, numeric types
  std::optional<double> max;           // inclusive, numeric types
  std::optional<std::string> regex;    // full match, string types
  std::vector<std::string> allowed;    // enum values (kEnum), or allowed strings
  std::optional<uint32_t> max_length;  // strings, in bytes
};

struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = false;  // must be present and non-null
  bool nullable = true;   // an explicit null is accepted
  // Default used when the field is absent (or null and not nullable). Stored
  // as text and converted to the field's type at load time.
  std::optional<std::string> default_value;
  Constraints constraints;
  EpochUnit epoch_unit = EpochUnit::kMillis;
  std::vector<Field> children;  // kStruct members, or kList element members
  int line = 0;                 // YAML line, for error messages
};

struct Schema {
  std::vector<Field> fields;
  // Name of the top-level kTimestamp field that drives partitioning and
  // event time. Empty: processing time is used.
  std::string timestamp_field;

  const Field* find(std::string_view name) const;
};

}  // namespace sluice
