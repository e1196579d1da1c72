#include "pipeline/window_finalizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "core/error.h"
#include "pipeline/event_time_stage.h"
#include "sinks/lake/lake_reader.h"
#include "sinks/lake/lake_tools.h"
#include "storage/storage.h"
#include "transforms/eventtime/watermark.h"

namespace sluice {

namespace {

int timestamp_column(const PipelineConfig& config, const OutputSchema& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].name == config.schema.timestamp_field) return static_cast<int>(i);
  }
  return -1;
}

WindowOperator make_shape(const PipelineConfig& config, const OutputSchema& raw_schema) {
  if (!config.transforms.window) throw std::logic_error("WindowFinalizer: no window configured");
  try {
    return WindowOperator(*config.transforms.window, raw_schema,
                          timestamp_column(config, raw_schema));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(config.file, config.transforms.window->line, "transforms(window)", e.what());
  }
}

int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Older than any event time a finalization reads from.
constexpr int64_t kBeginning = -(int64_t{1} << 62);

}  // namespace

WindowFinalizer::WindowFinalizer(const PipelineConfig& config, const OutputSchema& raw_schema,
                                 std::string writer_id)
    : config_(config),
      raw_schema_(raw_schema),
      writer_id_(std::move(writer_id)),
      shape_(make_shape(config, raw_schema)),
      covered_(kNoWatermark),
      table_watermark_(kNoWatermark) {}

WindowFinalizer::~WindowFinalizer() = default;

void WindowFinalizer::open(const std::string& raw_table_dir) {
  raw_table_ = open_lake_storage(raw_table_dir, config_.lake.storage);
  const std::string& table = config_.transforms.window->table;
  lake_ = std::make_unique<LakeWriter>(derived_table_config(config_.lake, table, "window_start"),
                                       shape_.output_schema(), "window_start", writer_id_);
  lake_->open();
}

int64_t WindowFinalizer::legacy_covered() const {
  int64_t raw_seq = -1;
  for (const auto& e :
       read_commit_log(*open_lake_storage(lake_->table_dir(), config_.lake.storage))) {
    if (auto it = e.meta.find("raw_seq"); it != e.meta.end())
      raw_seq = std::max<int64_t>(raw_seq, std::stoll(it->second));
  }
  if (raw_seq < 0) return kNoWatermark;
  auto raw = read_commit_entry(*raw_table_, raw_seq);
  if (!raw) return kNoWatermark;
  auto wm = raw->meta.find("watermark");
  return wm == raw->meta.end() ? kNoWatermark : std::stoll(wm->second);
}

void WindowFinalizer::take() {
  if (!lake_) throw RuntimeError("window finalizer: take() before open()");
  SourceOffsets positions = lake_->claim({kStream});
  auto it = positions.find(kStream);
  covered_ = it != positions.end() ? it->second : legacy_covered();
  active_ = true;
}

void WindowFinalizer::read_raw_log() {
  while (auto e = read_commit_entry(*raw_table_, raw_seq_ + 1)) {
    raw_seq_ = e->seq;
    if (is_claim_entry(*e)) {
      std::map<std::string, std::string> owners;
      apply_claim(*e, owners);
      for (const auto& [s, _] : owners) {
        Stream& st = streams_.try_emplace(s, Stream{kNoWatermark, 0}).first->second;
        st.seen_ms = std::max(st.seen_ms, e->timestamp_ms);
      }
      continue;
    }
    newest_ms_ = std::max(newest_ms_, e->timestamp_ms);
    try {
      std::map<std::string, int64_t> maxima;
      if (auto sm = e->meta.find("stream_max"); sm != e->meta.end())
        maxima = nlohmann::json::parse(sm->second).get<std::map<std::string, int64_t>>();
      for (const auto& [s, _] : e->end_offsets) {
        auto [it, fresh] = streams_.try_emplace(s, Stream{kNoWatermark, e->timestamp_ms});
        // A stream counts as active while it produces rows (has a maximum).
        if (auto m = maxima.find(s); m != maxima.end()) {
          it->second.max = m->second;
          it->second.seen_ms = std::max(it->second.seen_ms, e->timestamp_ms);
        }
      }
      if (auto lr = e->meta.find(kLateRowsMetaKey); lr != e->meta.end()) {
        for (auto& rec : EventTimeStage::parse_late_rows(lr->second)) {
          Late& late = late_[rec.signature];
          late.time = rec.time;
          late.by_watermark[rec.watermark] += rec.count;
        }
      }
    } catch (const nlohmann::json::exception& ex) {
      throw RuntimeError("window finalizer: malformed meta in raw log entry " +
                         std::to_string(e->seq) + ": " + ex.what());
    }
  }
}

int64_t WindowFinalizer::compute_watermark() const {
  const int64_t delay = config_.transforms.watermark.delay_ms * 1000;
  const int64_t idle = config_.transforms.watermark.idle_timeout_ms;
  int64_t w = std::numeric_limits<int64_t>::max();
  bool any = false;
  for (const auto& [_, st] : streams_) {
    if (idle > 0 && st.seen_ms < newest_ms_ - idle) continue;  // idle
    if (st.max == kNoWatermark) return kNoWatermark;  // claimed or read, no rows committed yet
    w = std::min(w, st.max - delay);
    any = true;
  }
  if (any) return w;
  // Every stream idle: the minimum over all of them.
  for (const auto& [_, st] : streams_) {
    if (st.max == kNoWatermark) continue;
    w = std::min(w, st.max - delay);
    any = true;
  }
  return any ? w : kNoWatermark;
}

int64_t WindowFinalizer::run(int64_t processing_time_us) {
  if (!active_) return 0;
  read_raw_log();
  const int64_t w = compute_watermark();
  table_watermark_ = w;
  if (w == kNoWatermark || (covered_ != kNoWatermark && w <= covered_)) return 0;
  const WindowConfig& wc = *config_.transforms.window;
  const int64_t size = wc.size_ms * 1000, slide = wc.slide_ms * 1000;
  const int64_t lateness = wc.allowed_lateness_ms * 1000;
  // The latest window closed at w; nothing to do unless it is newer than
  // those closed at covered_.
  const int64_t last_start = floor_div(w - size - lateness, slide) * slide;
  if (covered_ != kNoWatermark && last_start + size + lateness <= covered_) return 0;

  // The committed rows of the windows closing now, as of the log entries read.
  const int64_t from = covered_ == kNoWatermark ? kBeginning : shape_.rebuild_from(covered_);
  RecordBatch rows = read_committed_rows(*raw_table_, raw_schema_, config_.schema.timestamp_field,
                                         from, last_start + size, raw_seq_);
  const size_t n = rows.rows();
  std::vector<std::string> sig(n);
  for (size_t r = 0; r < n; ++r) sig[r] = shape_.row_signature(rows, r);
  // A fixed order (sums of doubles depend on it): every worker, and every
  // rerun, computes the same bits.
  const Column& ts = rows.columns[static_cast<size_t>(timestamp_column(config_, raw_schema_))];
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const int64_t ta = ts.int64_at(a), tb = ts.int64_at(b);
    return ta != tb ? ta < tb : sig[a] < sig[b];
  });
  // Each recorded late row's watermark goes to one row with its signature
  // (such rows are interchangeable); the others closed none of their windows.
  std::vector<int64_t> watermarks(n, kNoWatermark);
  std::map<std::string, std::map<int64_t, int64_t>> left;
  for (uint32_t r : order) {
    auto it = late_.find(sig[r]);
    if (it == late_.end()) continue;
    auto [l, fresh] = left.try_emplace(sig[r], it->second.by_watermark);
    if (l->second.empty()) continue;
    auto first = l->second.begin();
    watermarks[r] = first->first;
    if (--first->second == 0) l->second.erase(first);
  }
  WindowOperator op(wc, raw_schema_, timestamp_column(config_, raw_schema_));
  std::vector<uint32_t> late;
  op.add(rows, order, watermarks.data(), late);
  if (covered_ != kNoWatermark) op.discard_closed(covered_);
  RecordBatch out(op.output_schema());
  const int64_t emitted = static_cast<int64_t>(op.emit(w, processing_time_us, out));
  if (out.rows() > 0) lake_->append(out);
  const SourceOffsets start{{kStream, covered_ == kNoWatermark ? -1 : covered_}};
  const SourceOffsets end{{kStream, w}};
  if (on_step_) on_step_("commit");
  try {
    lake_->commit(start, end, {{"raw_seq_read", std::to_string(raw_seq_)}});
  } catch (const StaleWriterError&) {
    lake_->discard_buffer();
    active_ = false;
    throw;
  }
  covered_ = w;
  // Late rows older than any window still open cannot be read again.
  const int64_t keep_from = shape_.rebuild_from(covered_);
  for (auto it = late_.begin(); it != late_.end();)
    it = it->second.time < keep_from ? late_.erase(it) : std::next(it);
  return emitted;
}

}  // namespace sluice
