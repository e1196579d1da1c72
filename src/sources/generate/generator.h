// Synthetic event generator for the three example families (clickstream,
// user_events, iot: NDJSON shaped like the seeds' sample records) and for
// web server access logs (access-log: text lines),
// with injectable duplicates, malformed and late events and a choice of
// event-time spread. Event i is a pure function of (options, i), so a run
// that resumes at index N regenerates exactly the events N, N+1, ...
//
// Shapes (one line each, no spaces):
//   clickstream  {"session_id":"kqz1234","page_url":"/product/playstation5",
//                 "timestamp":"2025-01-01T00:00:00Z","TTI":1500,"TTAR":800,
//                 "user_actions":[{"action":"click","target":"buy_now","time":1650}]}
//                page_url: /, /cart, /checkout, /search, /account or a
//                catalogue page /product/<slug>; TTI, TTAR and action times
//                in integer ms (action time since the page started loading)
//   user_events  {"user_id":42,"event_type":"click","timestamp":"2025-01-01T00:00:00",
//                 "page_id":15,"session_id":"sess_12345"}   (no zone: UTC)
//                event_type click 40%, view 35%, purchase 5%, login 10%, logout 10%
//   access-log   combined-format web server lines plus the request time, one per event
//                (text, not JSON: see access_log_lines.h)
//   iot          {"event_id":"<uuid v4>","device_id":"device-042","device_type":"temperature",
//                 "timestamp":"2025-01-01T00:00:00.123Z","event_duration":127.34,"value":22.5,
//                 "status":"normal","metadata":{"location":"zone-C","firmware":"v2.3.1"}}
//                50 devices device-001..050, 10 of each of the 5 types; duration
//                log-normal, ~94% in 50..500, clipped to 0..1000; status normal
//                80%, warning 15%, critical 5%
//
// Threading: a Generator is immutable after construction; event() and fill()
// are const and may be called from several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/pipeline.h"
#include "core/record.h"

namespace sluice {

struct GeneratorOptions {
  std::string family;  // clickstream | user_events | iot | access-log
  uint64_t seed = 1;
  double duplicates_pct = 0;  // percent of events that repeat an earlier event byte for byte
  double malformed_pct = 0;   // percent of events broken in one of several ways
  double late_pct = 0;        // percent of events stamped 1..5 minutes in the past
  // Event-time spread (config/pipeline.h); unset: default_time_spread(family).
  std::optional<TimeSpread> spread;
  int64_t start_time_ms = 1735689600000;  // 2025-01-01T00:00:00Z
  // Event time advances by 1000 / events_per_second_of_event_time ms per index.
  double events_per_second_of_event_time = 1000;
};

// What `sluice generate` and a generate source use when not told otherwise:
// live for clickstream and user_events; single for iot, whose stream stays in
// order within a few ms (its pipeline's watermark trails by 30 s; --late adds
// out-of-order events on purpose).
TimeSpread default_time_spread(std::string_view family);
// 2 for iot (its producers retry), 0 for the others.
double default_duplicates_pct(std::string_view family);
// `sluice generate`'s --malformed default: 0.2 for access-log (a few broken
// lines, as real logs have), 0 for the others.
double default_malformed_pct(std::string_view family);

// Options of a `generate` source from the pipeline config (family defaults
// for what it leaves unset).
GeneratorOptions generator_options(const GenerateSourceConfig& config);

enum class EventFamily { kClickstream, kUserEvents, kIot, kAccessLog };

// How a malformed event is broken (exposed for tests and documentation).
//   kTruncated:      the JSON text is cut short
//   kWrongType:      clickstream "TTI":"fast"; user_events "event_type":<number>;
//                    iot "value":"high"
//   kMissingField:   clickstream page_url; user_events user_id; iot timestamp
//   kInvalidUtf8:    invalid UTF-8 bytes inside a string value
//   kNotObject:      a JSON array/scalar or a plain text line
//   kNegativeValue:  iot only: negative event_duration
//   kNullValue:      iot only: "value": null
enum class Corruption {
  kNone,
  kTruncated,
  kWrongType,
  kMissingField,
  kInvalidUtf8,
  kNotObject,
  kNegativeValue,
  kNullValue
};

class Generator {
 public:
  // Throws std::invalid_argument for an unknown family or out-of-range options.
  explicit Generator(GeneratorOptions options);

  // Appends event `index` (>= 0, no trailing newline) to `out`.
  void event(int64_t index, std::string& out) const;

  // Clears `out` and fills it with events [first, first+count) as records of
  // stream "generate:<family>", offsets = index, and sets
  // next_offsets[stream] = first + count.
  void fill(int64_t first, int64_t count, RawBatch& out) const;

  const GeneratorOptions& options() const { return options_; }
  // The spread in effect (the option, or the family's default).
  const TimeSpread& spread() const { return spread_; }
  EventFamily family() const { return family_; }
  // "generate:<family>"
  const std::string& stream_name() const { return stream_; }

 private:
  struct Decision {
    int64_t source_index;  // index whose base event is emitted (differs for duplicates)
    Corruption corruption;
    bool late;
  };
  Decision decide(int64_t index) const;
  void base_event(int64_t index, Corruption corruption, bool late, std::string& out) const;
  void clickstream(int64_t index, uint64_t content_seed, int64_t ts_ms, Corruption c,
                   std::string& out) const;
  void user_event(int64_t index, uint64_t content_seed, int64_t ts_ms, Corruption c,
                  std::string& out) const;
  void iot(uint64_t content_seed, int64_t ts_ms, Corruption c, std::string& out) const;

  GeneratorOptions options_;
  EventFamily family_;
  std::string stream_;
  uint64_t key_;  // hash of seed and family
  double ms_per_event_;
  TimeSpread spread_;
};

// The clickstream product catalogue: pages /product/<slug> (seed 000's
// sample is /product/playstation5), with product id, name and category.
struct CatalogueProduct {
  std::string_view slug;
  std::string_view product_id;
  std::string_view name;
  std::string_view category;
};
std::span<const CatalogueProduct> product_catalogue();
// "/product/<slug>"
std::string product_page_url(const CatalogueProduct& product);

// Sample reference data for the clickstream gold job, as CSV text with a header:
// product master "page_url,ProductID,category" (one row per catalogue product) and
// sales "ProductID,ProductName,Region,Revenue,UnitsSold" (one row per product and
// region, deterministic for a seed).
std::string product_master_csv();
std::string sales_csv(uint64_t seed);

}  // namespace sluice
