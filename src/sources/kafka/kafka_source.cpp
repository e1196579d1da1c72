#include "sources/kafka/kafka_source.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include "core/error.h"

namespace sluice {

namespace {

KafkaPartitionList make_list(size_t size_hint) {
  return KafkaPartitionList(rd_kafka_topic_partition_list_new(static_cast<int>(size_hint)));
}

std::vector<std::string> stream_names(const rd_kafka_topic_partition_list_t* partitions) {
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    names.push_back(kafka_stream_name(partitions->elems[i].topic, partitions->elems[i].partition));
  }
  return names;
}

// Removes from `out` the records appended since (first_record, first_byte)
// whose stream is in `drop`, compacting the arena tail.
void strip_records(RawBatch& out, size_t first_record, size_t first_byte,
                   const std::vector<uint32_t>& drop) {
  std::string kept;
  size_t w = first_record;
  for (size_t i = first_record; i < out.records.size(); ++i) {
    RawRecord r = out.records[i];
    if (std::find(drop.begin(), drop.end(), r.position.stream) != drop.end()) continue;
    std::string_view bytes = out.bytes(r);
    r.begin = static_cast<uint32_t>(first_byte + kept.size());
    kept.append(bytes);
    out.records[w++] = r;
  }
  out.records.resize(w);
  out.arena.resize(first_byte);
  out.arena += kept;
}

}  // namespace

void add_message_lines(RawBatch& out, std::string_view payload, uint32_t stream, int64_t offset,
                       int64_t ts_ms) {
  int64_t line = 0;
  size_t pos = 0;
  for (;;) {
    size_t end = payload.find('\n', pos);
    const bool last = end == std::string_view::npos;
    if (last) end = payload.size();
    std::string_view text = payload.substr(pos, end - pos);
    ++line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty()) out.add(text, stream, offset, ts_ms, line);
    if (last) break;
    pos = end + 1;
  }
}

namespace {

// Bounds the blocking watermark query made when a position looks impossible.
constexpr int kWatermarkQueryTimeoutMs = 5000;
// Out-of-range reports in a row for a position the watermarks call valid before giving up.
constexpr int kMaxOutOfRangeRetries = 5;

struct Watermarks {
  int64_t low = -1;
  int64_t high = -1;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

Watermarks query_watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition) {
  Watermarks w;
  w.err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &w.low, &w.high,
                                           kWatermarkQueryTimeoutMs);
  return w;
}

// The error for a position outside [low, high]; nullopt when it is inside (a position equal to
// the high watermark is a consumer that has read everything).
std::optional<std::string> impossible_position(const std::string& topic, int32_t partition,
                                               int64_t position, const Watermarks& w) {
  if (position > w.high) {
    return fmt::format(
        "kafka source: topic '{}' partition {}: the lake's next offset is {} (from its commit "
        "log), beyond the partition's high watermark {} (low watermark {}): the topic was "
        "deleted and recreated, or truncated, after the lake committed that position, so "
        "nothing would ever be read. To read the topic from its earliest offset, write to a new "
        "lake table (sink.lake.table or --lake) or move the table's directory aside",
        topic, partition, position, w.high, w.low);
  }
  if (position < w.low) {
    return fmt::format(
        "kafka source: topic '{}' partition {}: the lake's next offset is {} (from its commit "
        "log), below the partition's low watermark {} (high watermark {}): {} offsets ({}..{}) "
        "were deleted by retention before sluice read them (data loss). To accept the loss and "
        "go on from offset {}, add 'auto.offset.reset: earliest' to source.kafka.properties; to "
        "read the topic again from its earliest offset, write to a new lake table",
        topic, partition, position, w.low, w.high, w.low - position, position, w.low - 1, w.low);
  }
  return std::nullopt;
}

}  // namespace

KafkaSource::KafkaSource(const KafkaSourceConfig& config, PositionLookup lookup)
    : config_(config), lookup_(std::move(lookup)) {
  if (config_.topics.empty()) throw RuntimeError("kafka source: no topics configured");
  if (config_.group.empty()) throw RuntimeError("kafka source: no consumer group configured");
  KafkaConf conf(rd_kafka_conf_new());
  kafka_conf_set(conf.get(), "bootstrap.servers", config_.brokers);
  kafka_conf_set(conf.get(), "group.id", config_.group);
  kafka_conf_set(conf.get(), "client.id", "sluice");
  // sluice owns positions (lake commit log); Kafka's group offsets are informational.
  kafka_conf_set(conf.get(), "enable.auto.commit", "false");
  kafka_conf_set(conf.get(), "enable.auto.offset.store", "false");
  // Positions always come from the lake (or BEGINNING), so this only applies when the broker
  // refuses one: report it (see on_offset_out_of_range) instead of silently jumping elsewhere.
  kafka_conf_set(conf.get(), "auto.offset.reset", "error");
  kafka_conf_set(conf.get(), "enable.partition.eof", "false");
  // A silent member's partitions wait this long before they move (see kafka_source.h).
  kafka_conf_set(conf.get(), "session.timeout.ms", std::to_string(config_.session_timeout_ms));
  if (!config_.instance_id.empty() && config_.instance_id != "none") {
    kafka_conf_set(conf.get(), "group.instance.id", config_.instance_id);
  }
  kafka_conf_set_all(conf.get(), config_.properties);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::rebalance_trampoline);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSource::error_trampoline);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rk_ = kafka_new(RD_KAFKA_CONSUMER, std::move(conf));
  // Route errors, logs and rebalances through rd_kafka_consumer_poll().
  rd_kafka_poll_set_consumer(rk_.get());

  KafkaPartitionList topics = make_list(config_.topics.size());
  for (const auto& t : config_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), topics.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(fmt::format("kafka subscribe failed: {}", describe_error(err)));
  }
}

KafkaSource::~KafkaSource() {
  if (!closed_) {
    try {
      close();
    } catch (const std::exception& e) {
      fmt::print(stderr, "kafka source: error while closing: {}\n", e.what());
    }
  }
}

void KafkaSource::set_assign_callback(std::function<void(const std::vector<std::string>&)> cb) {
  assign_cb_ = std::move(cb);
}

void KafkaSource::set_revoke_callback(std::function<void(const std::vector<std::string>&)> cb) {
  revoke_cb_ = std::move(cb);
}

void KafkaSource::rebalance_trampoline(rd_kafka_t*, rd_kafka_resp_err_t err,
                                       rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaSource*>(opaque)->on_rebalance(err, partitions);
}

void KafkaSource::error_trampoline(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaSource*>(opaque)->on_error(static_cast<rd_kafka_resp_err_t>(err), reason);
}

void KafkaSource::on_rebalance(rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
      on_assign(partitions);
      return;
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
      on_revoke(partitions);
      return;
    default:
      break;
  }
  // A failed rebalance: give up everything we hold, as librdkafka documents.
  log_.log(err, fmt::format("rebalance failed: {}", describe_error(err)));
  std::vector<std::string> held = assigned();
  if (revoke_cb_ && !held.empty()) {
    try {
      revoke_cb_(held);
    } catch (const std::exception&) {
      if (!pending_error_) pending_error_ = std::current_exception();
    }
  }
  rd_kafka_assign(rk_.get(), nullptr);
  std::lock_guard lock(mu_);
  assigned_.clear();
  next_.clear();
  revoked_in_poll_.insert(revoked_in_poll_.end(), held.begin(), held.end());
}

void KafkaSource::on_assign(rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "COOPERATIVE") == 0;
  std::vector<std::string> names = stream_names(partitions);
  std::vector<int64_t> starts(names.size(), -1);
  try {
    if (assign_cb_ && !names.empty()) assign_cb_(names);
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& p = partitions->elems[i];
      std::optional<int64_t> pos = lookup_ ? lookup_(p.topic, p.partition) : std::nullopt;
      // Never fall back to Kafka's committed offset: the lake log is the truth.
      p.offset = pos ? *pos : RD_KAFKA_OFFSET_BEGINNING;
      starts[static_cast<size_t>(i)] = pos ? *pos : -1;
    }
  } catch (const std::exception&) {
    // Without positions nothing may be consumed: stay unassigned, fail the poll.
    if (!pending_error_) pending_error_ = std::current_exception();
    if (!cooperative) rd_kafka_assign(rk_.get(), nullptr);
    return;
  }
  if (cooperative) {
    KafkaError error(rd_kafka_incremental_assign(rk_.get(), partitions));
    if (error && !pending_error_) {
      pending_error_ = std::make_exception_ptr(RuntimeError(
          fmt::format("kafka incremental assign failed: {}", rd_kafka_error_string(error.get()))));
      return;
    }
  } else {
    rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), partitions);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && !pending_error_) {
      pending_error_ = std::make_exception_ptr(
          RuntimeError(fmt::format("kafka assign failed: {}", describe_error(err))));
      return;
    }
  }
  for (const auto& n : names) {
    redelivery_checked_.erase(n);
    out_of_range_retries_.erase(n);
  }
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < names.size(); ++i) {
    assigned_.insert(names[i]);
    next_[names[i]] = starts[i];
  }
}

void KafkaSource::on_revoke(rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "COOPERATIVE") == 0;
  std::vector<std::string> names = stream_names(partitions);
  if (revoke_cb_ && !names.empty()) {
    try {
      revoke_cb_(names);
    } catch (const std::exception&) {
      // Still release the partitions: another member is waiting for them.
      if (!pending_error_) pending_error_ = std::current_exception();
    }
  }
  if (cooperative) {
    KafkaError error(rd_kafka_incremental_unassign(rk_.get(), partitions));
    if (error) {
      log_.log(rd_kafka_error_code(error.get()),
               fmt::format("incremental unassign failed: {}", rd_kafka_error_string(error.get())));
    }
  } else {
    rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), nullptr);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log_.log(err, fmt::format("unassign failed: {}", describe_error(err)));
    }
  }
  revoked_in_poll_.insert(revoked_in_poll_.end(), names.begin(), names.end());
  std::lock_guard lock(mu_);
  for (const auto& n : names) {
    assigned_.erase(n);
    next_.erase(n);
  }
}

void KafkaSource::on_error(rd_kafka_resp_err_t err, const char* reason) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk_.get(), buf, sizeof(buf));
    if (!pending_error_) {
      pending_error_ = std::make_exception_ptr(RuntimeError(
          fmt::format("kafka consumer fatal error: {}: {}", describe_error(orig), buf)));
    }
    return;
  }
  if (is_retriable(err) || err == RD_KAFKA_RESP_ERR__DESTROY) {
    log_.log(err, fmt::format("{}: {}", rd_kafka_err2name(err), reason));
    return;
  }
  if (!pending_error_) {
    pending_error_ = std::make_exception_ptr(
        RuntimeError(fmt::format("kafka consumer error: {}: {}", describe_error(err), reason)));
  }
}

void KafkaSource::handle_message_error(const rd_kafka_message_t* msg) {
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  std::string where =
      msg->rkt ? kafka_stream_name(rd_kafka_topic_name(msg->rkt), msg->partition) : "consumer";
  std::string text = rd_kafka_message_errstr(msg);
  if (msg->rkt && (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                   msg->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)) {
    std::string topic = rd_kafka_topic_name(msg->rkt);
    int64_t position = msg->offset;
    if (position < 0) {
      std::lock_guard lock(mu_);
      auto it = next_.find(where);
      if (it != next_.end()) position = it->second;
    }
    if (position >= 0) {
      on_offset_out_of_range(topic, msg->partition, position, msg->err, text);
      return;
    }
  }
  if (is_retriable(msg->err)) {
    log_.log(msg->err, fmt::format("{}: {}: {}", where, rd_kafka_err2name(msg->err), text));
    return;
  }
  throw RuntimeError(fmt::format("kafka {}: {}: {}", where, describe_error(msg->err), text));
}

void KafkaSource::on_offset_out_of_range(const std::string& topic, int32_t partition,
                                         int64_t position, rd_kafka_resp_err_t err,
                                         const std::string& reason) {
  const std::string stream = kafka_stream_name(topic, partition);
  Watermarks w = query_watermarks(rk_.get(), topic, partition);
  if (w.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(fmt::format(
        "kafka source: topic '{}' partition {}: the broker cannot serve the lake's next offset "
        "{} ({}), and its watermarks could not be read: {}",
        topic, partition, position, reason, describe_error(w.err)));
  }
  if (std::optional<std::string> error = impossible_position(topic, partition, position, w)) {
    throw RuntimeError(*error);
  }
  // Valid by the watermarks read just now: the refusal came from a broker that was not yet (or
  // no longer) the leader with the full log. Resume at the same position, a bounded number of
  // times.
  if (++out_of_range_retries_[stream] > kMaxOutOfRangeRetries) {
    throw RuntimeError(fmt::format(
        "kafka source: topic '{}' partition {}: the broker refused offset {} {} times in a row "
        "({}), although its watermarks (low {}, high {}) include it",
        topic, partition, position, kMaxOutOfRangeRetries, reason, w.low, w.high));
  }
  log_.log(err, fmt::format("{}: offset {} refused ({}) but within the watermarks [{}, {}]; "
                            "resuming there",
                            stream, position, reason, w.low, w.high));
  restart_fetch(topic, partition, position);
}

void KafkaSource::restart_fetch(const std::string& topic, int32_t partition, int64_t position) {
  // librdkafka stopped fetching the partition and refuses a seek in that state: assign it again.
  const std::string stream = kafka_stream_name(topic, partition);
  auto fail = [&](const std::string& why) {
    return RuntimeError(
        fmt::format("kafka source: resuming {} at offset {} failed: {}", stream, position, why));
  };
  if (std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "COOPERATIVE") == 0) {
    KafkaPartitionList one = make_list(1);
    rd_kafka_topic_partition_list_add(one.get(), topic.c_str(), partition)->offset = position;
    KafkaError error(rd_kafka_incremental_unassign(rk_.get(), one.get()));
    if (!error) error.reset(rd_kafka_incremental_assign(rk_.get(), one.get()));
    if (error) throw fail(rd_kafka_error_string(error.get()));
    return;
  }
  // Eager: assign() replaces the whole assignment, so the other partitions go back at the
  // positions the application has consumed up to (or where they started, if nothing yet).
  rd_kafka_topic_partition_list_t* current = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(rk_.get(), &current);
  KafkaPartitionList all(current);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = rd_kafka_position(rk_.get(), all.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw fail(describe_error(err));
  for (int i = 0; i < all->cnt; ++i) {
    rd_kafka_topic_partition_t& p = all->elems[i];
    std::string name = kafka_stream_name(p.topic, p.partition);
    if (name == stream) {
      p.offset = position;
    } else if (p.offset < 0) {
      std::lock_guard lock(mu_);
      auto it = next_.find(name);
      p.offset = it != next_.end() && it->second >= 0 ? it->second : RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  err = rd_kafka_assign(rk_.get(), all.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw fail(describe_error(err));
}

void KafkaSource::check_redelivery(const std::string& stream, int64_t position) {
  if (!redelivery_checked_.insert(stream).second) return;
  std::string topic;
  int32_t partition = 0;
  if (!parse_kafka_stream(stream, &topic, &partition)) return;
  Watermarks w = query_watermarks(rk_.get(), topic, partition);
  if (w.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log_.log(w.err, fmt::format("{}: cannot check position {} against the watermarks: {}", stream,
                                position, describe_error(w.err)));
    return;
  }
  if (std::optional<std::string> error = impossible_position(topic, partition, position, w)) {
    throw RuntimeError(*error);
  }
}

void KafkaSource::rethrow_pending() {
  if (pending_error_) {
    std::exception_ptr e = pending_error_;
    pending_error_ = nullptr;
    std::rethrow_exception(e);
  }
}

size_t KafkaSource::poll(RawBatch& out, int timeout_ms) {
  if (closed_) throw RuntimeError("kafka source: poll() after close()");
  rethrow_pending();

  // Streams seen in this call; few, so a linear scan beats hashing a name per message.
  struct Touched {
    rd_kafka_topic_t* rkt;
    int32_t partition;
    uint32_t stream;
    std::string name;
    int64_t next;  // next offset expected; -1: any
    bool delivered = false;
  };
  std::vector<Touched> touched;
  const size_t first_record = out.records.size();
  const size_t first_byte = out.arena.size();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  revoked_in_poll_.clear();

  while (out.records.size() - first_record < config_.max_batch_records) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int wait = static_cast<int>(std::max<int64_t>(0, left.count()));
    KafkaMessage msg(rd_kafka_consumer_poll(rk_.get(), wait));

    if (!revoked_in_poll_.empty()) {
      // Records of revoked streams appended by this call go back: the new owner re-reads them.
      std::vector<uint32_t> drop;
      std::erase_if(touched, [&](const Touched& t) {
        bool revoked = std::find(revoked_in_poll_.begin(), revoked_in_poll_.end(), t.name) !=
                       revoked_in_poll_.end();
        if (revoked) drop.push_back(t.stream);
        return revoked;
      });
      if (!drop.empty()) strip_records(out, first_record, first_byte, drop);
      revoked_in_poll_.clear();
    }
    rethrow_pending();

    if (!msg) {
      if (wait == 0) break;
      continue;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      handle_message_error(msg.get());
      continue;
    }

    Touched* t = nullptr;
    for (auto& candidate : touched) {
      if (candidate.rkt == msg->rkt && candidate.partition == msg->partition) {
        t = &candidate;
        break;
      }
    }
    if (t == nullptr) {
      std::string name = kafka_stream_name(rd_kafka_topic_name(msg->rkt), msg->partition);
      int64_t next = -1;
      {
        std::lock_guard lock(mu_);
        auto it = next_.find(name);
        if (it != next_.end()) next = it->second;
      }
      uint32_t stream = out.stream_id(name);
      touched.push_back(Touched{msg->rkt, msg->partition, stream, std::move(name), next});
      t = &touched.back();
    }
    // Guard against a re-delivery below the position we were told to start at. If librdkafka
    // reset the offset (a user-set auto.offset.reset), this is where it shows: check once.
    if (t->next >= 0 && msg->offset < t->next) {
      check_redelivery(t->name, t->next);
      continue;
    }

    rd_kafka_timestamp_type_t ts_type;
    int64_t ts = rd_kafka_message_timestamp(msg.get(), &ts_type);
    if (ts_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) ts = -1;
    std::string_view payload;
    if (msg->payload != nullptr) {
      payload = std::string_view(static_cast<const char*>(msg->payload), msg->len);
    }
    if (config_.split_lines) {
      add_message_lines(out, payload, t->stream, msg->offset, ts);
    } else {
      out.add(payload, t->stream, msg->offset, ts);
    }
    t->next = msg->offset + 1;
    t->delivered = true;
  }

  for (const auto& t : touched) {
    if (t.delivered) out_of_range_retries_.erase(t.name);
  }
  std::lock_guard lock(mu_);
  for (const auto& t : touched) {
    if (!t.delivered) continue;
    out.next_offsets[t.name] = t.next;
    if (assigned_.count(t.name)) next_[t.name] = t.next;
  }
  return out.records.size() - first_record;
}

std::vector<std::string> KafkaSource::assigned() const {
  std::lock_guard lock(mu_);
  return std::vector<std::string>(assigned_.begin(), assigned_.end());
}

std::vector<std::string> KafkaSource::topic_streams(int timeout_ms) const {
  std::vector<std::string> out;
  for (const std::string& topic : config_.topics) {
    std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> rkt(
        rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr), &rd_kafka_topic_destroy);
    if (!rkt) throw RuntimeError(fmt::format("kafka source: topic '{}': no handle", topic));
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt.get(), &md, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw RuntimeError(
          fmt::format("kafka source: metadata of topic '{}': {}", topic, rd_kafka_err2str(err)));
    std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> hold(
        md, &rd_kafka_metadata_destroy);
    for (int i = 0; i < md->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& t = md->topics[i];
      if (topic != t.topic) continue;
      if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw RuntimeError(fmt::format("kafka source: metadata of topic '{}': {}", topic,
                                       rd_kafka_err2str(t.err)));
      for (int p = 0; p < t.partition_cnt; ++p)
        out.push_back(fmt::format("{}/{}", topic, t.partitions[p].id));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void KafkaSource::commit_offsets(const SourceOffsets& offsets) {
  if (closed_) return;
  KafkaPartitionList list = make_list(offsets.size());
  {
    std::lock_guard lock(mu_);
    for (const auto& [stream, offset] : offsets) {
      std::string topic;
      int32_t partition = 0;
      if (!assigned_.count(stream) || !parse_kafka_stream(stream, &topic, &partition)) continue;
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    }
  }
  if (list->cnt == 0) return;
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), list.get(), /*async=*/1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log_.log(err,
             fmt::format("offset commit failed (informational only): {}", describe_error(err)));
  }
}

void KafkaSource::seek(const SourceOffsets& offsets) {
  if (closed_) throw RuntimeError("kafka source: seek() after close()");
  KafkaPartitionList list = make_list(offsets.size());
  {
    std::lock_guard lock(mu_);
    for (const auto& [stream, offset] : offsets) {
      std::string topic;
      int32_t partition = 0;
      if (!assigned_.count(stream) || !parse_kafka_stream(stream, &topic, &partition)) continue;
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    }
  }
  if (list->cnt == 0) return;
  KafkaError error(rd_kafka_seek_partitions(rk_.get(), list.get(), /*timeout_ms=*/10000));
  if (error) {
    throw RuntimeError(fmt::format("kafka seek failed: {}", rd_kafka_error_string(error.get())));
  }
  std::lock_guard lock(mu_);
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw RuntimeError(fmt::format("kafka seek {}/{} to {} failed: {}", p.topic, p.partition,
                                     p.offset, describe_error(p.err)));
    }
    next_[kafka_stream_name(p.topic, p.partition)] = p.offset;
  }
}

std::map<std::string, int64_t> KafkaSource::lag() const {
  std::map<std::string, int64_t> result;
  std::lock_guard lock(mu_);
  for (const auto& stream : assigned_) {
    std::string topic;
    int32_t partition = 0;
    if (!parse_kafka_stream(stream, &topic, &partition)) continue;
    int64_t low = -1;
    int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(rk_.get(), topic.c_str(), partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    auto it = next_.find(stream);
    int64_t position = it != next_.end() ? it->second : -1;
    if (position < 0) position = std::max<int64_t>(low, 0);
    result[stream] = std::max<int64_t>(0, high - position);
  }
  return result;
}

void KafkaSource::close() {
  if (closed_) return;
  closed_ = true;
  // Serves the final revoke (rebalance callback) on this thread, then leaves the group.
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_.get());
  {
    std::lock_guard lock(mu_);
    assigned_.clear();
    next_.clear();
  }
  rethrow_pending();
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw RuntimeError(fmt::format("kafka consumer close failed: {}", describe_error(err)));
  }
}

}  // namespace sluice
