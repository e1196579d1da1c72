#include "pipeline/event_time_stage.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/lake_reader.h"

namespace sluice {

namespace {

int column_of(const OutputSchema& s, const std::string& name) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

LakeSinkConfig derived_table(const LakeSinkConfig& raw, const std::string& table,
                             const std::string& ts) {
  LakeSinkConfig c = raw;
  c.table = table;
  c.partition_by.clear();
  for (auto [name, kind] : {std::pair{"year", PartitionKey::kYear},
                            {"month", PartitionKey::kMonth},
                            {"day", PartitionKey::kDay},
                            {"hour", PartitionKey::kHour}}) {
    c.partition_by.push_back(PartitionKey{name, ts, kind});
  }
  return c;
}

// Copies rows `rows` (ascending) of `in` to `out`, runs of consecutive rows
// at a time (dedupe keeps most rows, so runs are long).
void gather(const RecordBatch& in, const std::vector<uint32_t>& rows, RecordBatch& out) {
  out.clear();
  size_t i = 0;
  while (i < rows.size()) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
    out.append_range(in, rows[i], rows[j - 1] + 1);
    i = j;
  }
}

}  // namespace

EventTimeStage::EventTimeStage(const PipelineConfig& config, const OutputSchema& raw_schema,
                               std::string writer_id)
    : config_(config),
      raw_schema_(raw_schema),
      writer_id_(std::move(writer_id)),
      tracker_(config.transforms.watermark.delay_ms * 1000,
               config.transforms.watermark.idle_timeout_ms) {
  const TransformsConfig& t = config.transforms;
  enabled_ = t.dedupe.has_value() || t.window.has_value();
  if (!enabled_) return;
  ts_col_ = column_of(raw_schema, config.schema.timestamp_field);
  if (t.dedupe) {
    std::vector<int> keys;
    for (const auto& k : t.dedupe->keys) {
      int c = column_of(raw_schema, k);
      if (c < 0)
        throw ConfigError(config.file, t.dedupe->line, "transforms(dedupe).key",
                          "no output column '" + k + "'");
      keys.push_back(c);
    }
    dedupe_.emplace(std::move(keys), ts_col_, t.dedupe->horizon_ms * 1000);
  }
  if (t.window) {
    try {
      window_.emplace(*t.window, raw_schema, ts_col_);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(config.file, t.window->line, "transforms(window)", e.what());
    }
    if (t.window->table == config.lake.table) {
      throw ConfigError(config.file, t.window->line, "transforms(window).table",
                        "must differ from the raw table");
    }
  }
}

EventTimeStage::~EventTimeStage() = default;

void EventTimeStage::open(const LakeState& raw_state, const std::string& raw_table_dir,
                          int64_t now_ms) {
  if (!enabled_) return;
  const TransformsConfig& t = config_.transforms;
  const std::string root = std::filesystem::path(raw_table_dir).parent_path().string();
  if (window_) {
    const std::string dir = root + "/" + t.window->table;
    if (std::filesystem::exists(dir + "/_sluice_log"))
      rollback_commits_after(dir, "raw_seq", raw_state.last_seq);
    window_lake_ =
        std::make_unique<LakeWriter>(derived_table(config_.lake, t.window->table, "window_start"),
                                     window_->output_schema(), "window_start", writer_id_);
    window_lake_->open();
    window_out_.emplace(window_->output_schema());
    if (t.window->late_policy == LatePolicy::kSideTable) {
      const std::string late_dir = root + "/" + t.window->late_table;
      if (std::filesystem::exists(late_dir + "/_sluice_log")) {
        rollback_commits_after(late_dir, "raw_seq", raw_state.last_seq);
      }
      late_lake_ = std::make_unique<LakeWriter>(
          derived_table(config_.lake, t.window->late_table, config_.schema.timestamp_field),
          raw_schema_, config_.schema.timestamp_field, writer_id_);
      late_lake_->open();
    }
  }
  kept_.emplace(raw_schema_);
  late_rows_.emplace(raw_schema_);

  // Restore the watermark, then rebuild state from committed rows.
  auto wm = raw_state.meta.find("watermark");
  if (wm == raw_state.meta.end()) return;  // nothing committed with event time yet
  int64_t watermark = std::stoll(wm->second);
  std::map<std::string, int64_t> maxima;
  if (auto sm = raw_state.meta.find("stream_max"); sm != raw_state.meta.end()) {
    maxima = nlohmann::json::parse(sm->second).get<std::map<std::string, int64_t>>();
  }
  tracker_.restore(maxima, watermark, now_ms);
  if (watermark == kNoWatermark) return;
  int64_t from = watermark;
  if (dedupe_) from = std::min(from, watermark - t.dedupe->horizon_ms * 1000);
  if (window_) from = std::min(from, window_->rebuild_from(watermark));
  RecordBatch committed =
      read_committed_rows(raw_table_dir, raw_schema_, config_.schema.timestamp_field, from);
  stats_.rebuilt_rows = static_cast<int64_t>(committed.rows());
  if (dedupe_) {
    for (size_t r = 0; r < committed.rows(); ++r) dedupe_->remember(committed, r);
    dedupe_->evict(watermark);
  }
  if (window_) {
    std::vector<uint32_t> all(committed.rows());
    for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
    std::vector<uint32_t> closed;  // rows of windows already emitted: expected, ignored
    window_->add(committed, all, watermark, closed);
  }
}

void EventTimeStage::process(const RawBatch& raw, RecordBatch& rows,
                             const std::vector<uint32_t>& row_records,
                             std::vector<Reject>& late_rejects, int64_t now_ms) {
  if (!enabled_ || rows.rows() == 0) return;
  // Per-stream maximum event time, then the watermark.
  const Column& ts = rows.columns[ts_col_];
  constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> maxima(raw.streams.size(), kNone);
  for (size_t r = 0; r < rows.rows(); ++r) {
    if (ts.is_null(r)) continue;
    int64_t& m = maxima[raw.records[row_records[r]].position.stream];
    m = std::max(m, ts.int64_at(r));
  }
  for (size_t stream = 0; stream < maxima.size(); ++stream) {
    if (maxima[stream] != kNone) tracker_.observe(raw.streams[stream], maxima[stream], now_ms);
  }
  const int64_t watermark = tracker_.advance(now_ms);

  const RecordBatch* out = &rows;
  keep_.clear();
  if (dedupe_) {
    int64_t before = dedupe_->dropped();
    dedupe_->filter(rows, keep_);
    stats_.duplicates += dedupe_->dropped() - before;
    // Forget keys behind the watermark now, not only at commits: between
    // commits a fast stream would otherwise hold seconds of extra keys.
    if (watermark != kNoWatermark) dedupe_->evict(watermark);
    if (keep_.size() != rows.rows()) {
      gather(rows, keep_, *kept_);
      out = &*kept_;
    }
  } else {
    keep_.resize(rows.rows());
    for (uint32_t i = 0; i < keep_.size(); ++i) keep_[i] = i;
  }
  if (window_) {
    if (all_.size() < out->rows()) {
      const size_t from = all_.size();
      all_.resize(out->rows());
      for (size_t i = from; i < all_.size(); ++i) all_[i] = static_cast<uint32_t>(i);
    }
    all_.resize(out->rows());  // 0, 1, ..., rows - 1
    late_.clear();
    window_->add(*out, all_, watermark, late_);
    stats_.late_rows += static_cast<int64_t>(late_.size());
    if (!late_.empty()) {
      switch (config_.transforms.window->late_policy) {
        case LatePolicy::kDrop:
          break;
        case LatePolicy::kDlq: {
          uint32_t last = UINT32_MAX;
          for (uint32_t r : late_) {
            uint32_t record = row_records[keep_[r]];
            if (record == last) continue;  // one line per record, not per flattened row
            last = record;
            Reject rej;
            rej.record_index = record;
            rej.field = config_.schema.timestamp_field;
            rej.rule = "late";
            rej.message = "event time " + format_iso8601(out->columns[ts_col_].int64_at(r)) +
                          " is behind the watermark " + format_iso8601(watermark) +
                          " (window closed)";
            late_rejects.push_back(std::move(rej));
          }
          break;
        }
        case LatePolicy::kSideTable:
          gather(*out, late_, *late_rows_);
          late_lake_->append(*late_rows_);
          break;
      }
    }
  }
  // Hand the kept rows back in `rows`; kept_ keeps the old buffers for reuse.
  if (out != &rows) std::swap(rows, *kept_);
}

void EventTimeStage::before_commit(int64_t raw_seq, std::map<std::string, std::string>& meta,
                                   int64_t now_ms) {
  if (!enabled_) return;
  const int64_t watermark = tracker_.advance(now_ms);
  std::map<std::string, std::string> derived_meta{{"raw_seq", std::to_string(raw_seq)}};
  if (window_) {
    window_out_->clear();
    size_t n = window_->emit(watermark, now_micros(), *window_out_);
    stats_.windows_emitted += static_cast<int64_t>(n);
    if (n > 0) {
      window_lake_->append(*window_out_);
      window_lake_->commit({}, {}, derived_meta);
    }
  }
  if (late_lake_ && late_lake_->buffered_rows() > 0) late_lake_->commit({}, {}, derived_meta);
  meta["watermark"] = std::to_string(watermark);
  nlohmann::json maxima = tracker_.stream_max();
  meta["stream_max"] = maxima.dump();
}

void EventTimeStage::after_commit() {
  if (dedupe_ && tracker_.current() != kNoWatermark) dedupe_->evict(tracker_.current());
}

}  // namespace sluice
