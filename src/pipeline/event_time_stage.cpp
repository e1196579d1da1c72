#include "pipeline/event_time_stage.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "core/time.h"
#include "sinks/lake/lake_reader.h"
#include "sinks/lake/lake_tools.h"
#include "storage/storage.h"

namespace sluice {

namespace {

int column_of(const OutputSchema& s, const std::string& name) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].name == name) return static_cast<int>(i);
  }
  return -1;
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

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
  return out;
}

}  // namespace

LakeSinkConfig derived_table_config(const LakeSinkConfig& raw, const std::string& table,
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
  const std::string root = config_.lake.path;
  auto table_at = [&](const std::string& dir) {
    return open_lake_storage(dir, config_.lake.storage);
  };
  if (window_ && t.window->late_policy == LatePolicy::kSideTable) {
    // Late commits of earlier versions were tagged with their raw commit's
    // seq and rolled back when it never happened; the rollback stops at the
    // first entry without the tag, so it only touches such a table's tail (a
    // table without a log has no commits to roll back).
    rollback_commits_after(*table_at(root + "/" + t.window->late_table), "raw_seq",
                           raw_state.last_seq);
    late_lake_ = std::make_unique<LakeWriter>(
        derived_table_config(config_.lake, t.window->late_table, config_.schema.timestamp_field),
        raw_schema_, config_.schema.timestamp_field, writer_id_);
    late_pos_ = late_lake_->open().offsets;
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
  floor_ = watermark;
  if (watermark == kNoWatermark) return;
  // Dedupe keys come back from the committed rows; windows are not state of
  // this stage (the finalizer computes them from the committed rows).
  if (!dedupe_) return;
  RecordBatch committed =
      read_committed_rows(*table_at(raw_table_dir), raw_schema_, config_.schema.timestamp_field,
                          watermark - t.dedupe->horizon_ms * 1000);
  stats_.rebuilt_rows = static_cast<int64_t>(committed.rows());
  for (size_t r = 0; r < committed.rows(); ++r) dedupe_->remember(committed, r);
  dedupe_->evict(watermark);
}

void EventTimeStage::process(const RawBatch& raw, RecordBatch& rows,
                             const std::vector<uint32_t>& row_records,
                             std::vector<Reject>& late_rejects, int64_t now_ms) {
  if (!enabled_ || rows.rows() == 0) return;
  // The watermark each row is judged against: its stream's largest event
  // time before the row's record minus the delay, in stream order, never
  // below what was already evicted (floor_, for dedupe) or committed by the
  // window finalizer (window_floor_, for windows). Rows of one record
  // (flattened) share it. Only afterwards do this batch's rows move the
  // pipeline watermark.
  const Column& ts = rows.columns[ts_col_];
  const size_t n = rows.rows();
  const int64_t delay = tracker_.delay_us();
  running_max_.resize(raw.streams.size());
  for (size_t s = 0; s < raw.streams.size(); ++s) {
    running_max_[s] = tracker_.max_of(raw.streams[s]);
    if (running_max_[s] == kNoWatermark) tracker_.expect(raw.streams[s], now_ms);
  }
  std::vector<int64_t> batch_start = running_max_;
  row_watermark_.resize(n);
  row_window_watermark_.resize(n);
  for (size_t r = 0; r < n;) {
    const uint32_t record = row_records[r];
    size_t end = r + 1;
    while (end < n && row_records[end] == record) ++end;
    int64_t& m = running_max_[raw.records[record].position.stream];
    const int64_t own = m == kNoWatermark ? kNoWatermark : m - delay;
    const int64_t watermark = std::max(own, floor_);
    const int64_t window_watermark = std::max(own, window_floor_);
    for (size_t k = r; k < end; ++k) {
      row_watermark_[k] = watermark;
      row_window_watermark_[k] = window_watermark;
      if (!ts.is_null(k)) m = std::max(m, ts.int64_at(k));
    }
    r = end;
  }
  for (size_t s = 0; s < raw.streams.size(); ++s) {
    if (running_max_[s] != batch_start[s])
      tracker_.observe(raw.streams[s], running_max_[s], now_ms);
  }
  const int64_t watermark = tracker_.advance(now_ms);

  const RecordBatch* out = &rows;
  keep_.clear();
  if (dedupe_) {
    int64_t before = dedupe_->dropped();
    dedupe_->filter(rows, row_watermark_.data(), keep_);
    stats_.duplicates += dedupe_->dropped() - before;
    // Forget keys behind the watermark now, not only at commits: between
    // commits a fast stream would otherwise hold seconds of extra keys.
    if (watermark != kNoWatermark) {
      dedupe_->evict(watermark);
      floor_ = std::max(floor_, watermark);
    }
    if (keep_.size() != rows.rows()) {
      gather(rows, keep_, *kept_);
      out = &*kept_;
    }
  } else {
    keep_.resize(rows.rows());
    for (uint32_t i = 0; i < keep_.size(); ++i) keep_[i] = i;
  }
  if (window_) {
    const int64_t* watermarks = row_window_watermark_.data();
    if (out != &rows) {  // the kept rows' watermarks, in the kept rows' order
      kept_watermark_.resize(keep_.size());
      for (size_t i = 0; i < keep_.size(); ++i)
        kept_watermark_[i] = row_window_watermark_[keep_[i]];
      watermarks = kept_watermark_.data();
    }
    // The verdict per row (the windows themselves are the finalizer's): late
    // when every window holding it is closed at its watermark. A row some of
    // whose windows are closed (all of them if late) is recorded with that
    // watermark for the raw commit's meta, so that the finalizer leaves it
    // out of exactly those windows.
    late_.clear();
    const Column& out_ts = out->columns[ts_col_];
    for (uint32_t r = 0; r < out->rows(); ++r) {
      if (out_ts.is_null(r)) {
        late_.push_back(r);  // no event time: no window can take it
        continue;
      }
      const int64_t t = out_ts.int64_at(r);
      if (!window_->any_closed(t, watermarks[r])) continue;
      if (window_->all_closed(t, watermarks[r])) late_.push_back(r);
      LateRow& entry = late_rows_meta_[{window_->row_signature(*out, r), watermarks[r]}];
      entry.time = t;
      entry.count++;
    }
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
                          " is behind the watermark " + format_iso8601(watermarks[r]) +
                          " (window closed)";
            late_rejects.push_back(std::move(rej));
          }
          break;
        }
        case LatePolicy::kSideTable: {
          // Not the late rows of a record the late table holds already (its
          // late commit was published, its raw commit never was): the same
          // record judged the same way (its stream's verdict) adds none again.
          size_t kept = 0;
          for (uint32_t r : late_) {
            const SourcePosition& pos = raw.records[row_records[keep_[r]]].position;
            auto at = late_pos_.find(raw.streams[pos.stream]);
            if (at == late_pos_.end() || pos.offset >= at->second) late_[kept++] = r;
          }
          late_.resize(kept);
          gather(*out, late_, *late_rows_);
          if (late_rows_->rows() > 0) late_lake_->append(*late_rows_);
          break;
        }
      }
    }
  }
  // Hand the kept rows back in `rows`; kept_ keeps the old buffers for reuse.
  if (out != &rows) std::swap(rows, *kept_);
}

void EventTimeStage::before_commit(const SourceOffsets& end_offsets,
                                   std::map<std::string, std::string>& meta, int64_t now_ms) {
  if (!enabled_) return;
  const int64_t watermark = tracker_.advance(now_ms);
  floor_ = std::max(floor_, watermark);
  if (!late_rows_meta_.empty()) {
    // [signature (hex), event time, the watermark it was judged against, rows]
    nlohmann::json late = nlohmann::json::array();
    for (const auto& [key, entry] : late_rows_meta_)
      late.push_back(
          nlohmann::json::array({to_hex(key.first), entry.time, key.second, entry.count}));
    meta[kLateRowsMetaKey] = late.dump();
    late_rows_meta_.clear();
  }
  if (late_lake_ && late_lake_->buffered_rows() > 0) {
    // Positioned like the raw commit, from where the late table stands: the
    // late rows of every record up to `end_offsets` are in the late table
    // after this commit. The start positions fence it (another process that
    // claimed a stream since, or committed it, makes this StaleWriterError).
    SourceOffsets start, end;
    for (const auto& [s, off] : end_offsets) {
      auto at = late_pos_.find(s);
      const int64_t from = at == late_pos_.end() ? -1 : at->second;
      if (off <= from) continue;  // a late commit already covers it
      start[s] = from;
      end[s] = off;
    }
    late_lake_->commit(start, end, {});
    for (const auto& [s, off] : end) late_pos_[s] = off;
  }
  meta["watermark"] = std::to_string(watermark);
  nlohmann::json maxima = tracker_.stream_max();
  meta["stream_max"] = maxima.dump();
}

void EventTimeStage::adopt(const std::vector<std::string>& streams,
                           const std::string& raw_table_dir, int64_t now_ms) {
  if (!enabled_ || streams.empty()) return;
  if (late_lake_) {
    // From this claim on, a former owner's late commit of these streams is
    // refused; one published before it is counted in the positions.
    const SourceOffsets positions = late_lake_->claim(streams);
    for (const auto& s : streams) {
      auto at = positions.find(s);
      if (at == positions.end())
        late_pos_.erase(s);
      else
        late_pos_[s] = at->second;
    }
  }
  // The latest commit of a stream recorded its maximum after exactly the rows
  // it committed: the state the next record of that stream is judged against.
  // Every adopted stream takes it, also one this process knew already: what
  // open() restored came from this writer's own last commit, and another
  // worker may have committed the stream since (this one was down, or the
  // stream was assigned elsewhere for a while).
  std::map<std::string, int64_t> found;
  std::unique_ptr<storage::Storage> raw_table =
      open_lake_storage(raw_table_dir, config_.lake.storage);
  const std::vector<LakeCommitEntry> entries = read_commit_log(*raw_table);
  for (auto e = entries.rbegin(); e != entries.rend() && found.size() < streams.size(); ++e) {
    auto sm = e->meta.find("stream_max");
    if (sm == e->meta.end()) continue;
    std::map<std::string, int64_t> maxima;
    for (const auto& s : streams) {
      if (found.count(s) || !e->end_offsets.count(s)) continue;
      if (maxima.empty()) maxima = nlohmann::json::parse(sm->second).get<decltype(maxima)>();
      if (auto m = maxima.find(s); m != maxima.end()) found[s] = m->second;
    }
  }
  int64_t from = std::numeric_limits<int64_t>::max();
  for (const auto& [s, m] : found) {
    if (tracker_.max_of(s) == m) continue;  // already this state: nothing to rebuild
    tracker_.forget(s);
    tracker_.observe(s, m, now_ms);
    from = std::min(from, m - tracker_.delay_us());
  }
  if (!dedupe_ || from == std::numeric_limits<int64_t>::max()) return;
  // Keys of every committed row from the earliest adopted stream watermark
  // minus the horizon: all a duplicate in those streams can still match.
  from -= config_.transforms.dedupe->horizon_ms * 1000;
  RecordBatch committed =
      read_committed_rows(*raw_table, raw_schema_, config_.schema.timestamp_field, from);
  stats_.rebuilt_rows += static_cast<int64_t>(committed.rows());
  for (size_t r = 0; r < committed.rows(); ++r) dedupe_->remember(committed, r);
  if (tracker_.current() != kNoWatermark) dedupe_->evict(tracker_.current());
}

void EventTimeStage::release(const std::vector<std::string>& streams) {
  if (!enabled_) return;
  for (const auto& s : streams) {
    tracker_.forget(s);
    late_pos_.erase(s);
  }
}

void EventTimeStage::note_finalized(int64_t watermark, int64_t windows) {
  window_floor_ = std::max(window_floor_, watermark);
  stats_.windows_emitted += windows;
}

std::vector<EventTimeStage::LateRecord> EventTimeStage::parse_late_rows(const std::string& text) {
  std::vector<LateRecord> out;
  for (const auto& e : nlohmann::json::parse(text)) {
    LateRecord r;
    r.signature = from_hex(e.at(0).get<std::string>());
    r.time = e.at(1).get<int64_t>();
    r.watermark = e.at(2).get<int64_t>();
    r.count = e.at(3).get<int64_t>();
    out.push_back(std::move(r));
  }
  return out;
}

void EventTimeStage::after_commit() {
  if (dedupe_ && tracker_.current() != kNoWatermark) dedupe_->evict(tracker_.current());
}

}  // namespace sluice
