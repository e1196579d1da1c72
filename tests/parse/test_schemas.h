// Schemas of the three event families, built in C++ for the parser tests
// (the YAML loader is tested separately).
#pragma once

#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/schema.h"

namespace sluice::testing {

inline Field make_field(std::string name, FieldType type, bool required = false) {
  Field f;
  f.name = std::move(name);
  f.type = type;
  f.required = required;
  return f;
}

inline Schema clickstream_schema() {
  Schema s;
  s.fields.push_back(make_field("session_id", FieldType::kString, true));
  s.fields.push_back(make_field("page_url", FieldType::kString, true));
  s.fields.push_back(make_field("timestamp", FieldType::kTimestamp, true));
  Field tti = make_field("TTI", FieldType::kDouble);
  tti.default_value = "0";
  s.fields.push_back(tti);
  s.fields.push_back(make_field("TTAR", FieldType::kDouble));
  Field actions = make_field("user_actions", FieldType::kList);
  actions.children.push_back(make_field("action", FieldType::kString));
  actions.children.push_back(make_field("target", FieldType::kString));
  actions.children.push_back(make_field("time", FieldType::kTimestamp));
  s.fields.push_back(actions);
  s.timestamp_field = "timestamp";
  return s;
}

// Flatten user_actions with the given prefix; ingest timestamp and source type.
inline TransformsConfig clickstream_transforms(std::string prefix = "") {
  TransformsConfig t;
  t.flatten = FlattenConfig{"user_actions", std::move(prefix), "action_index"};
  t.add_fields.ingest_timestamp_column = "ingest_timestamp";
  t.add_fields.source_type = "clickstream";
  return t;
}

inline Schema user_events_schema() {
  Schema s;
  s.fields.push_back(make_field("user_id", FieldType::kString, true));
  Field type = make_field("event_type", FieldType::kEnum, true);
  type.constraints.allowed = {"click", "view", "purchase", "login", "logout"};
  s.fields.push_back(type);
  s.fields.push_back(make_field("timestamp", FieldType::kTimestamp, true));
  s.fields.push_back(make_field("page_id", FieldType::kString));
  s.fields.push_back(make_field("session_id", FieldType::kString));
  s.timestamp_field = "timestamp";
  return s;
}

inline Schema iot_schema() {
  Schema s;
  Field id = make_field("event_id", FieldType::kString, true);
  id.constraints.regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  s.fields.push_back(id);
  Field device = make_field("device_id", FieldType::kString, true);
  device.constraints.regex = R"(device-\d{3})";
  s.fields.push_back(device);
  Field type = make_field("device_type", FieldType::kEnum, true);
  type.constraints.allowed = {"temperature", "pressure", "humidity", "motion", "light"};
  s.fields.push_back(type);
  Field ts = make_field("timestamp", FieldType::kTimestamp, true);
  ts.epoch_unit = EpochUnit::kMillis;
  s.fields.push_back(ts);
  Field duration = make_field("event_duration", FieldType::kDouble, true);
  duration.constraints.min = 0;
  duration.constraints.max = 1000;
  s.fields.push_back(duration);
  Field value = make_field("value", FieldType::kDouble, true);
  value.nullable = false;
  s.fields.push_back(value);
  Field status = make_field("status", FieldType::kEnum);
  status.constraints.allowed = {"normal", "warning", "critical"};
  s.fields.push_back(status);
  Field metadata = make_field("metadata", FieldType::kStruct);
  Field location = make_field("location", FieldType::kString);
  location.constraints.regex = "zone-[A-E]";
  metadata.children.push_back(location);
  Field firmware = make_field("firmware", FieldType::kString);
  firmware.constraints.regex = R"(v\d+\.\d+\.\d+)";
  firmware.constraints.max_length = 16;
  metadata.children.push_back(firmware);
  s.fields.push_back(metadata);
  s.timestamp_field = "timestamp";
  return s;
}

}  // namespace sluice::testing
