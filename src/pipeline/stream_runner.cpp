#include "pipeline/stream_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/error.h"
#include "core/time.h"
#include "observability/telemetry.h"
#include "pipeline/event_time_stage.h"
#include "pipeline/window_finalizer.h"
#include "sinks/dlq/dlq_writer.h"
#include "sinks/lake/lake_writer.h"
#include "sources/file/file_source.h"
#include "sources/generate/generator.h"
#include "sources/kafka/kafka_producer.h"
#include "sources/kafka/kafka_source.h"
#include "transforms/parse/parser.h"

namespace sluice {

namespace {

// One source behind a per-batch interface (never a call per record).
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Fills `out`; returns false once the input has ended for good.
  virtual bool poll(RawBatch& out, int timeout_ms) = 0;
  virtual void after_commit(const SourceOffsets&) {}
  virtual void close() {}
  // For progress output: the input's size in bytes when known, else -1.
  virtual int64_t total_bytes() const { return -1; }
};

class FileBatchSource final : public BatchSource {
 public:
  FileBatchSource(const FileSourceConfig& c, const SourceOffsets& resume)
      : source_(c, resume, c.max_batch_records), total_(c.follow ? -1 : source_.total_bytes()) {}
  bool poll(RawBatch& out, int timeout_ms) override { return source_.read(out, timeout_ms); }
  int64_t total_bytes() const override { return total_; }

 private:
  FileSource source_;
  int64_t total_;  // read at construction, before the reader thread owns source_
};

class GenerateBatchSource final : public BatchSource {
 public:
  GenerateBatchSource(const GenerateSourceConfig& c, const SourceOffsets& resume)
      : config_(c), generator_(generator_options(c)) {
    stream_ = "generate:" + c.family;
    if (auto it = resume.find(stream_); it != resume.end()) next_ = it->second;
    started_ms_ = monotonic_millis();
    first_ = next_;
  }
  bool poll(RawBatch& out, int) override {
    if (config_.count > 0 && next_ >= config_.count) return false;
    int64_t n = 8192;
    if (config_.count > 0) n = std::min(n, config_.count - next_);
    if (config_.rate > 0) {
      // Pace by rate: how many events are due by now.
      int64_t due =
          first_ + static_cast<int64_t>((monotonic_millis() - started_ms_) * config_.rate / 1000.0);
      if (due <= next_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return true;
      }
      n = std::min(n, due - next_);
    }
    generator_.fill(next_, n, out);
    next_ += n;
    return true;
  }

 private:
  GenerateSourceConfig config_;
  Generator generator_;
  std::string stream_;
  int64_t next_ = 0;
  int64_t first_ = 0;
  int64_t started_ms_ = 0;
};

class KafkaBatchSource final : public BatchSource {
 public:
  KafkaBatchSource(const KafkaSourceConfig& c, PositionLookup lookup)
      : source_(c, std::move(lookup)) {}
  bool poll(RawBatch& out, int timeout_ms) override {
    source_.poll(out, timeout_ms);
    // Every assigned partition, with records here or not: the event-time
    // stage holds the watermark for partitions that have not delivered yet.
    for (const std::string& stream : source_.assigned()) out.stream_id(stream);
    return true;
  }
  void after_commit(const SourceOffsets& offsets) override { source_.commit_offsets(offsets); }
  void close() override { source_.close(); }
  KafkaSource& source() { return source_; }

 private:
  KafkaSource source_;
};

// What the reader thread hands to the writer thread.
struct Work {
  // kBarrier: commit everything so far (before `streams` are revoked);
  // kClaim: claim `streams` in the lake (they are being assigned).
  enum Kind { kBatch, kBarrier, kClaim, kEnd } kind = kBatch;
  std::vector<std::string> streams;  // kBarrier, kClaim
  RawBatch raw;
  RecordBatch rows;
  std::vector<Reject> rejects;
  std::vector<uint32_t> row_records;  // per row: its record (event-time stage only)
  ParseStats stats;
  std::exception_ptr error;
};

// Bounded queue of Work between the two threads.
class WorkQueue {
 public:
  explicit WorkQueue(size_t capacity) : capacity_(capacity) {}
  void push(std::unique_ptr<Work> w) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(w));
    not_empty_.notify_one();
  }
  // Waits up to timeout for an item; nullptr on timeout.
  std::unique_ptr<Work> pop(int timeout_ms) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return !queue_.empty(); })) {
      return nullptr;
    }
    auto w = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return w;
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::unique_ptr<Work>> queue_;
};

// Signalled by the writer when a barrier has been committed or a claim
// published (`failed` is set if the claim threw).
struct Barrier {
  std::mutex mu;
  std::condition_variable cv;
  int64_t requested = 0;
  int64_t done = 0;
  std::exception_ptr failed;
};

}  // namespace

StreamRunner::StreamRunner(PipelineConfig config, RunOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

StreamRunner::~StreamRunner() = default;

RunSummary StreamRunner::run(const std::atomic<bool>& stop) {
  const int64_t started_ms = monotonic_millis();
  RunSummary summary;

  Parser parser(config_.schema, config_.transforms, config_.limits, config_.source.format,
                config_.source.text);
  const OutputSchema& out_schema = parser.output_schema();
  std::string ts_column = config_.schema.timestamp_field;

  LakeWriter lake(config_.lake, out_schema, ts_column, options_.writer_id);
  LakeState state = lake.open();

  EventTimeStage event_time(config_, out_schema, options_.writer_id);
  event_time.open(state, lake.table_dir(), monotonic_millis());
  const bool track_rows = event_time.enabled();
  // Windows are computed from the committed raw rows by one finalizer at a
  // time (window_finalizer.h): with a Kafka source, the owner of the first
  // topic's partition 0; otherwise this process.
  std::optional<WindowFinalizer> finalizer;
  std::string finalizer_stream;
  if (config_.transforms.window) {
    finalizer.emplace(config_, out_schema, options_.writer_id);
    finalizer->set_step_hook(options_.finalizer_step);
    finalizer->open(lake.table_dir());
    if (config_.source.type == SourceType::kKafka && !config_.source.kafka.topics.empty()) {
      finalizer_stream = config_.source.kafka.topics.front() + "/0";
    } else {
      finalizer->take();
      event_time.note_finalized(finalizer->covered(), 0);
    }
  }
  auto finalize = [&]() {
    if (!finalizer || !finalizer->active()) return;
    const int64_t windows = finalizer->run(now_micros());
    if (finalizer->covered() != kNoWatermark)
      event_time.note_finalized(finalizer->covered(), windows);
  };

  // The DLQ is cut back to what the last commit covered: lines written after
  // it belong to records that will be read again.
  std::optional<DlqWriter> dlq;
  if (!config_.dlq.path.empty()) {
    int64_t keep = 0;
    if (auto it = state.meta.find("dlq_bytes"); it != state.meta.end())
      keep = std::stoll(it->second);
    if (std::filesystem::exists(config_.dlq.path)) DlqWriter::truncate_to(config_.dlq.path, keep);
    dlq.emplace(config_.dlq.path);
  }

  // A DLQ topic is at-least-once: it is flushed before every lake commit,
  // so a record may appear twice there after a crash, never zero times.
  std::unique_ptr<KafkaProducer> dlq_topic;
  if (!config_.dlq.kafka_topic.empty()) {
    if (config_.source.type != SourceType::kKafka || config_.source.kafka.brokers.empty()) {
      throw RuntimeError("sink.dlq.kafka_topic needs a kafka source (its brokers are used)");
    }
    std::map<std::string, std::string> props;
    for (const auto& [k, v] : config_.source.kafka.properties) {
      if (k.rfind("security.", 0) == 0 || k.rfind("sasl.", 0) == 0 || k.rfind("ssl.", 0) == 0)
        props[k] = v;
    }
    dlq_topic = std::make_unique<KafkaProducer>(config_.source.kafka.brokers, props);
  }

  // Start position per stream as the commit log had it when we began reading
  // it (-1: the log has none); the lake fences commits against it.
  std::mutex starts_mu;
  SourceOffsets stream_start = state.offsets;
  summary.resumed_streams = static_cast<int64_t>(state.offsets.size());

  std::unique_ptr<BatchSource> source;
  KafkaBatchSource* kafka = nullptr;
  switch (config_.source.type) {
    case SourceType::kFile:
      source = std::make_unique<FileBatchSource>(config_.source.file, state.offsets);
      break;
    case SourceType::kGenerate:
      source = std::make_unique<GenerateBatchSource>(config_.source.generate, state.offsets);
      break;
    case SourceType::kKafka: {
      // Positions come from the claim the writer published for the
      // assignment (see the assign callback below): the log as it stood
      // just before that claim.
      auto lookup = [&](const std::string& topic, int32_t partition) -> std::optional<int64_t> {
        std::string stream = topic + "/" + std::to_string(partition);
        std::lock_guard lock(starts_mu);
        auto it = stream_start.find(stream);
        if (it == stream_start.end() || it->second < 0) return std::nullopt;
        return it->second;
      };
      auto k = std::make_unique<KafkaBatchSource>(config_.source.kafka, lookup);
      kafka = k.get();
      source = std::move(k);
      break;
    }
  }

  WorkQueue queue(4);
  Barrier barrier;
  std::atomic<bool> reader_stop{false};
  std::atomic<bool> reader_done{false};
  std::atomic<bool> writer_active{true};

  // Hands `kind` work for `streams` to the writer thread and waits until it
  // is done; false if the writer stopped first. Rethrows a failed claim.
  auto ask_writer = [&](Work::Kind kind, const std::vector<std::string>& streams) {
    if (!writer_active.load()) return false;
    int64_t ticket;
    {
      std::lock_guard lock(barrier.mu);
      ticket = ++barrier.requested;
    }
    auto w = std::make_unique<Work>();
    w->kind = kind;
    w->streams = streams;
    queue.push(std::move(w));
    std::unique_lock lock(barrier.mu);
    barrier.cv.wait(lock, [&] { return barrier.done >= ticket || !writer_active.load(); });
    if (barrier.failed) {
      std::exception_ptr e = barrier.failed;
      barrier.failed = nullptr;
      std::rethrow_exception(e);
    }
    return barrier.done >= ticket;
  };
  if (kafka) {
    kafka->source().set_revoke_callback([&](const std::vector<std::string>& streams) {
      // Everything read so far must be committed before the partitions go.
      // After the writer's final commit (shutdown) nothing is pending.
      ask_writer(Work::kBarrier, streams);
      std::lock_guard slock(starts_mu);
      for (const auto& s : streams) stream_start.erase(s);
    });
    kafka->source().set_assign_callback([&](const std::vector<std::string>& streams) {
      // Claim the partitions in the lake before reading them: from the claim
      // on, their former owner can no longer commit them (fencing), and the
      // positions are the log's just below the claim.
      if (!ask_writer(Work::kClaim, streams))
        throw RuntimeError("kafka source: partitions assigned while shutting down");
    });
  }

  // Reader thread: poll + parse, hand whole batches over.
  std::atomic<int64_t> events_read{0};
  std::thread reader([&] {
    try {
      int64_t last_input_ms = monotonic_millis();
      while (!reader_stop.load()) {
        auto w = std::make_unique<Work>();
        bool more = source->poll(w->raw, config_.source.kafka.poll_timeout_ms);
        if (!w->raw.records.empty()) {
          last_input_ms = monotonic_millis();
          w->rows = RecordBatch(out_schema);
          Parser::pad(w->raw);
          parser.process(w->raw, w->rows, w->rejects, w->stats, now_micros(),
                         track_rows ? &w->row_records : nullptr);
          events_read += static_cast<int64_t>(w->raw.records.size());
          if (options_.telemetry)
            options_.telemetry->events_read(static_cast<int64_t>(w->raw.records.size()));
          if (options_.read_counter) options_.read_counter->store(events_read.load());
          queue.push(std::move(w));
        } else if (!w->raw.next_offsets.empty()) {
          queue.push(std::move(w));  // positions advanced (e.g. blank lines)
        }
        if (!more) break;
        if (options_.stop_after_events > 0 && events_read.load() >= options_.stop_after_events)
          break;
        if (options_.idle_stop_ms > 0 && monotonic_millis() - last_input_ms > options_.idle_stop_ms)
          break;
      }
    } catch (...) {
      auto w = std::make_unique<Work>();
      w->kind = Work::kEnd;
      w->error = std::current_exception();
      queue.push(std::move(w));
      reader_done = true;
      return;
    }
    auto w = std::make_unique<Work>();
    w->kind = Work::kEnd;
    queue.push(std::move(w));
    reader_done = true;
  });

  SourceOffsets pending_end;  // offsets covered by buffered data
  int64_t pending_events = 0;
  int64_t last_progress_ms = monotonic_millis();
  // Progress in bytes (file sources): each file's position, resumed ones first.
  const int64_t bytes_total = source->total_bytes();
  std::map<std::string, int64_t> file_positions;
  int64_t bytes_done = -1;
  if (config_.source.type == SourceType::kFile) {
    bytes_done = 0;
    for (const auto& [s, off] : state.offsets) {
      if (s.rfind("file:", 0) == 0 && off > 0) {
        file_positions[s] = off;
        bytes_done += off;
      }
    }
  }
  const int64_t bytes_start = bytes_done;
  int64_t last_commit_ms = monotonic_millis();
  int64_t last_finalize_ms = 0;
  std::exception_ptr failure;

  // `last`: the final commit before exit (state need not be trimmed).
  auto commit = [&](bool last = false) {
    if (pending_end.empty()) return;
    SourceOffsets start;
    {
      std::lock_guard lock(starts_mu);
      for (const auto& [s, _] : pending_end) {
        auto it = stream_start.find(s);
        start[s] = it == stream_start.end() ? -1 : it->second;
      }
    }
    std::map<std::string, std::string> meta;
    // The late table is committed first, up to the same positions.
    event_time.before_commit(pending_end, meta, monotonic_millis());
    if (dlq) meta["dlq_bytes"] = std::to_string(dlq->sync());
    if (dlq_topic) {
      dlq_topic->flush(30000);
      if (dlq_topic->failed() > 0)
        throw RuntimeError("DLQ topic: deliveries failed; not committing");
    }
    const int64_t commit_started_us = now_micros();
    LakeCommitEntry entry;
    try {
      entry = lake.commit(start, pending_end, meta);
    } catch (const std::exception& e) {
      if (options_.telemetry) options_.telemetry->commit_failed(e.what());
      throw;
    }
    if (!last) event_time.after_commit();
    summary.commits++;
    summary.files_written += static_cast<int64_t>(entry.files.size());
    for (const auto& f : entry.files) {
      summary.rows_written += f.rows;
      summary.bytes_written += f.bytes;
    }
    if (options_.telemetry) {
      // Read back from the commit entry: what this commit made visible.
      obs::CommitInfo info;
      info.seq = entry.seq;
      info.timestamp_ms = entry.timestamp_ms;
      info.files = static_cast<int64_t>(entry.files.size());
      for (const auto& f : entry.files) {
        info.rows += f.rows;
        info.bytes += f.bytes;
      }
      info.seconds = (now_micros() - commit_started_us) / 1e6;
      options_.telemetry->commit(info);
    }
    {
      std::lock_guard lock(starts_mu);
      for (const auto& [s, off] : pending_end) stream_start[s] = off;
    }
    source->after_commit(pending_end);
    if (options_.on_commit) options_.on_commit();
    pending_end.clear();
    pending_events = 0;
  };

  auto progress = [&](bool force) {
    int64_t now = monotonic_millis();
    if (!options_.progress || (!force && now - last_progress_ms < options_.progress_interval_ms))
      return;
    last_progress_ms = now;
    double secs = std::max(1e-3, (now - started_ms) / 1000.0);
    if (options_.on_progress) {
      obs::Progress p;
      p.pipeline = config_.name;
      p.events_read = events_read.load();
      p.events_accepted = summary.events_accepted;
      p.events_rejected = summary.events_rejected;
      p.rows_written = summary.rows_written;
      p.files_written = summary.files_written;
      p.commits = summary.commits;
      p.bytes_done = bytes_done;
      p.bytes_start = bytes_start;
      p.bytes_total = bytes_total;
      p.seconds = secs;
      p.final = force;
      if (event_time.enabled()) {
        const EventTimeStats& et = event_time.stats();
        int64_t wm = event_time.watermark();
        p.event_time = fmt::format(
            "watermark {}, duplicates {}, late {}, windows emitted {}, open {}, dedupe keys {}",
            wm == kNoWatermark ? "none" : format_iso8601(wm), et.duplicates, et.late_rows,
            et.windows_emitted, event_time.open_windows(), event_time.dedupe_keys());
      }
      options_.on_progress(p);
      return;
    }
    std::fprintf(
        stderr,
        "[sluice] %s: read %lld (%.0f/s), accepted %lld, rejected %lld, rows %lld, files %lld, "
        "commits %lld\n",
        config_.name.c_str(), static_cast<long long>(events_read.load()), events_read.load() / secs,
        static_cast<long long>(summary.events_accepted),
        static_cast<long long>(summary.events_rejected),
        static_cast<long long>(summary.rows_written), static_cast<long long>(summary.files_written),
        static_cast<long long>(summary.commits));
    if (event_time.enabled()) {
      const EventTimeStats& et = event_time.stats();
      int64_t wm = event_time.watermark();
      std::fprintf(
          stderr,
          "[sluice] %s: watermark %s, duplicates %lld, late %lld, windows emitted %lld, open %zu, "
          "dedupe keys %zu\n",
          config_.name.c_str(), wm == kNoWatermark ? "none" : format_iso8601(wm).c_str(),
          static_cast<long long>(et.duplicates), static_cast<long long>(et.late_rows),
          static_cast<long long>(et.windows_emitted), event_time.open_windows(),
          event_time.dedupe_keys());
    }
  };

  // Telemetry: one call per batch, with rejects counted per rule here.
  auto report_batch = [&](const Work& w) {
    std::array<int64_t, obs::kRejectRules.size()> per_rule{};
    std::vector<std::string> samples;
    for (const auto& r : w.rejects) {
      per_rule[obs::reject_rule_index(r.rule)]++;
      if (samples.size() < 5) samples.push_back(format_dlq_line(w.raw, r));
    }
    int64_t dlq_records = (dlq || dlq_topic) ? static_cast<int64_t>(w.rejects.size()) : 0;
    options_.telemetry->batch(w.stats.records_accepted, per_rule, dlq_records, std::move(samples));
  };
  // About once a second: source readiness, consumer lag, event-time state.
  int64_t last_probe_ms = 0;
  auto probe = [&](bool force) {
    obs::Telemetry* t = options_.telemetry;
    const int64_t now = monotonic_millis();
    if (!t || (!force && now - last_probe_ms < 1000)) return;
    last_probe_ms = now;
    if (kafka) {
      bool assigned = !kafka->source().assigned().empty();
      t->source_ready(assigned, assigned ? "" : "no Kafka partitions assigned yet");
      t->kafka_lag(kafka->source().lag());
    }
    const int64_t wm = event_time.watermark();
    double delay = -1;
    if (event_time.enabled() && wm != kNoWatermark)
      delay = std::max(0.0, (now_micros() - wm) / 1e6);
    t->event_time(event_time.stats().duplicates, event_time.stats().late_rows, delay);
  };
  if (options_.telemetry) {
    const char* type = config_.source.type == SourceType::kKafka  ? "kafka"
                       : config_.source.type == SourceType::kFile ? "file"
                                                                  : "generate";
    options_.telemetry->stream_started(type, config_.lake.commit_interval_ms);
    options_.telemetry->source_ready(!kafka, kafka ? "no Kafka partitions assigned yet" : "");
    probe(true);
  }

  bool ended = false;
  try {
    while (!ended) {
      if (stop.load()) reader_stop = true;
      auto w = queue.pop(100);
      if (w) {
        switch (w->kind) {
          case Work::kBatch:
            if (w->rows.rows() > 0) {
              event_time.process(w->raw, w->rows, w->row_records, w->rejects, monotonic_millis());
              // Handed to the encoders as is: no copy.
              if (w->rows.rows() > 0)
                lake.append(std::make_shared<const RecordBatch>(std::move(w->rows)));
            }
            if (dlq && !w->rejects.empty()) dlq->write(w->raw, w->rejects);
            if (dlq_topic) {
              for (const auto& r : w->rejects)
                dlq_topic->produce(config_.dlq.kafka_topic, format_dlq_line(w->raw, r));
            }
            for (const auto& [s, off] : w->raw.next_offsets) {
              pending_end[s] = off;
              if (bytes_done >= 0 && s.rfind("file:", 0) == 0) {
                int64_t& pos = file_positions[s];
                bytes_done += off - pos;  // a file truncated and read again goes back
                pos = off;
              }
            }
            summary.events_accepted += w->stats.records_accepted;
            if (options_.telemetry) report_batch(*w);
            summary.events_rejected += w->stats.records_rejected;
            pending_events += static_cast<int64_t>(w->raw.records.size());
            break;
          case Work::kBarrier: {
            commit();
            event_time.release(w->streams);
            if (finalizer && std::count(w->streams.begin(), w->streams.end(), finalizer_stream))
              finalizer->drop();
            std::lock_guard lock(barrier.mu);
            barrier.done++;
            barrier.cv.notify_all();
            break;
          }
          case Work::kClaim: {
            std::exception_ptr failed;
            try {
              SourceOffsets positions = lake.claim(w->streams);
              {
                std::lock_guard lock(starts_mu);
                for (const auto& st : w->streams) {
                  auto it = positions.find(st);
                  stream_start[st] = it == positions.end() ? -1 : it->second;
                }
              }
              event_time.adopt(w->streams, lake.table_dir(), monotonic_millis());
              if (finalizer && std::count(w->streams.begin(), w->streams.end(), finalizer_stream)) {
                finalizer->take();
                event_time.note_finalized(finalizer->covered(), 0);
              }
            } catch (const std::exception&) {
              failed = std::current_exception();
            }
            std::lock_guard lock(barrier.mu);
            barrier.failed = failed;
            barrier.done++;
            barrier.cv.notify_all();
            break;
          }
          case Work::kEnd:
            if (w->error) failure = w->error;
            ended = true;
            break;
        }
      }
      const int64_t now = monotonic_millis();
      // The lake's own trigger counts buffered rows; positions alone (all
      // records rejected, blank lines) are committed on the same interval.
      if (!failure &&
          (lake.should_commit(now) ||
           (!pending_end.empty() && now - last_commit_ms >= config_.lake.commit_interval_ms))) {
        commit();
        last_commit_ms = now;
      }
      // Other workers' commits move the table watermark too: look at the log
      // on the commit interval (cheap when nothing is new).
      if (!failure && finalizer && now - last_finalize_ms >= config_.lake.commit_interval_ms) {
        finalize();
        last_finalize_ms = now;
      }
      progress(false);
      probe(false);
    }
    if (failure) std::rethrow_exception(failure);
    commit(true);  // drain
    finalize();
  } catch (...) {
    if (options_.telemetry) options_.telemetry->stream_stopped();
    reader_stop = true;
    {
      std::lock_guard lock(barrier.mu);
      writer_active = false;
      barrier.cv.notify_all();
    }
    // Keep the queue moving until the reader has finished, then join it.
    while (!reader_done.load()) queue.pop(10);
    reader.join();
    source->close();
    throw;
  }
  {
    std::lock_guard lock(barrier.mu);
    writer_active = false;
    barrier.cv.notify_all();
  }
  reader_stop = true;
  while (!reader_done.load()) queue.pop(10);
  reader.join();
  source->close();
  summary.events_read = events_read.load();
  summary.duplicates = event_time.stats().duplicates;
  summary.late_rows = event_time.stats().late_rows;
  summary.windows_emitted = event_time.stats().windows_emitted;
  summary.dedupe_keys = static_cast<int64_t>(event_time.dedupe_keys());
  summary.seconds = (monotonic_millis() - started_ms) / 1000.0;
  probe(true);
  if (options_.telemetry) options_.telemetry->stream_stopped();
  progress(true);
  return summary;
}

std::string format_summary(const RunSummary& s) {
  std::string out = fmt::format(
      "events read:     {}\nevents accepted: {}\nrejected (DLQ):  {}\nrows written:    {}\n"
      "files written:   {}\nbytes written:   {}\ncommits:         {}\n",
      s.events_read, s.events_accepted, s.events_rejected, s.rows_written, s.files_written,
      s.bytes_written, s.commits);
  if (s.duplicates || s.late_rows || s.windows_emitted || s.dedupe_keys) {
    out += fmt::format(
        "duplicates:      {}\nlate rows:       {}\nwindows emitted: {}\ndedupe keys:     {}\n",
        s.duplicates, s.late_rows, s.windows_emitted, s.dedupe_keys);
  }
  out += fmt::format("seconds:         {:.2f}\n", s.seconds);
  return out;
}

}  // namespace sluice
