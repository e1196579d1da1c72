// Kafka consumer source: reads raw records from a consumer group with
// positions owned by the lake commit log (Kafka's committed offsets are informational).
//
// Group membership: with config.instance_id set (not "none") the consumer is a
// static member (KIP-345, group.instance.id): a restart with the same id
// within session_timeout_ms gets the same partitions back without a
// rebalance, and close() does NOT send LeaveGroup (librdkafka never does for
// static members), so on a clean shutdown its partitions stay with it until
// the session times out. Without an instance id close() leaves the group and
// the others rebalance at once, but a restart is a new member (two rebalances).
//
// Threading contract: poll(), seek(), commit_offsets(), set_revoke_callback()
// and close() must be called from one thread (the "polling thread"); the
// position lookup and the revoke callback run on that thread, from inside
// poll() or close(). assigned() and lag() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/record.h"
#include "sources/kafka/kafka_errors.h"
#include "sources/kafka/kafka_handles.h"

namespace sluice {

// A message split on newlines (config.split_lines): each non-empty line
// becomes a record at the message's offset with its 1-based `line` within
// the message; a trailing '\r' is dropped; a message with no lines adds none.
void add_message_lines(RawBatch& out, std::string_view payload, uint32_t stream, int64_t offset,
                       int64_t ts_ms);

// Supplies the starting position of a partition from the lake commit log (sluice manages
// positions, Kafka's committed offsets are informational only). Returns nullopt -> start at the
// earliest offset.
using PositionLookup =
    std::function<std::optional<int64_t>(const std::string& topic, int32_t partition)>;

class KafkaSource {
 public:
  // Creates the consumer and subscribes to config.topics. Throws RuntimeError
  // on a bad librdkafka property (naming it) or a failed subscribe.
  KafkaSource(const KafkaSourceConfig& config, PositionLookup lookup);
  // Calls close() if it was not called (so the revoke callback may run here:
  // keep what it references alive, or close() first). Errors are logged.
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Polls up to config.max_batch_records records or until timeout_ms elapsed; appends them to
  // `out` (stream name "topic/partition", offset = message offset, ts = message timestamp ms;
  // with config.split_lines one record per line of a message, see add_message_lines) and
  // sets out.next_offsets[stream] = last offset + 1 for each stream touched. Returns number added.
  // Transient errors are logged (rate limited) and polling goes on; fatal ones throw
  // RuntimeError. A position the partition cannot serve is fatal: beyond its high watermark (the
  // topic was recreated or truncated) or below its low watermark (retention deleted unread data)
  // throws RuntimeError naming the topic, partition, position and both watermarks. A position
  // equal to the high watermark is normal (caught up). Records below the position (a re-delivery)
  // are dropped silently; the first such record per assignment makes poll() check the position
  // against the broker's watermarks (one blocking query), which catches an offset reset done by
  // a user-set auto.offset.reset. If partitions are revoked during this call, the records this call
  // had already appended for them are removed again (the new owner re-reads them), so `out` only
  // holds records of streams still assigned when poll() returns.
  size_t poll(RawBatch& out, int timeout_ms);

  // Streams currently assigned to this consumer ("topic/partition"), sorted.
  std::vector<std::string> assigned() const;
  // Every partition of the subscribed topics ("topic/partition", sorted), from the broker's
  // metadata (one blocking request per topic, up to `timeout_ms` each); whoever owns them.
  // Throws RuntimeError naming the topic if the metadata cannot be read.
  std::vector<std::string> topic_streams(int timeout_ms) const;

  // Called (from inside poll or close, on the polling thread) before partitions are
  // revoked/lost, with the streams being taken away, so the runner can commit or discard what it
  // buffered for them. An exception thrown by the callback is rethrown from poll()/close()
  // after the partitions have been released.
  void set_revoke_callback(std::function<void(const std::vector<std::string>&)> cb);

  // Called (on the polling thread, inside poll) with the streams being assigned, before their
  // positions are looked up: the runner claims them in the lake (fencing their former owner)
  // there. An exception leaves the partitions unassigned and is rethrown from poll().
  void set_assign_callback(std::function<void(const std::vector<std::string>&)> cb);

  // After a lake commit: record offsets in Kafka's group (informational, for lag tools), async.
  // Streams not currently assigned are skipped.
  void commit_offsets(const SourceOffsets& offsets);

  // Re-seek streams to the given positions (after a StaleWriterError the runner re-reads the
  // log and calls this). Streams not currently assigned are skipped: their position comes from
  // the lookup when they are assigned.
  void seek(const SourceOffsets& offsets);

  // Consumer lag per assigned stream (high watermark - position), for metrics/progress. Uses
  // the watermarks cached from fetch responses; streams without one yet are left out.
  std::map<std::string, int64_t> lag() const;

  // Leaves the group cleanly (the revoke callback runs for the assigned streams). Idempotent.
  void close();

 private:
  static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void error_trampoline(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void on_assign(rd_kafka_topic_partition_list_t* partitions);
  void on_revoke(rd_kafka_topic_partition_list_t* partitions);
  void on_error(rd_kafka_resp_err_t err, const char* reason);
  void handle_message_error(const rd_kafka_message_t* msg);
  // The broker refused `position` of a partition (auto.offset.reset=error): throws the
  // RuntimeError describing it, or re-seeks if the position is in range again (a leader change).
  void on_offset_out_of_range(const std::string& topic, int32_t partition, int64_t position,
                              rd_kafka_resp_err_t err, const std::string& reason);
  // Makes librdkafka fetch the partition again from `position` (after it stopped on an error).
  void restart_fetch(const std::string& topic, int32_t partition, int64_t position);
  // A record below `position` arrived for `stream`: once per assignment, throws if the broker's
  // watermarks show that `position` cannot be served (librdkafka reset the offset).
  void check_redelivery(const std::string& stream, int64_t position);
  void rethrow_pending();

  KafkaSourceConfig config_;
  PositionLookup lookup_;
  std::function<void(const std::vector<std::string>&)> revoke_cb_;
  std::function<void(const std::vector<std::string>&)> assign_cb_;
  KafkaHandle rk_;
  bool cooperative_ = false;
  bool closed_ = false;
  RateLimitedLog log_{"kafka source"};

  // Set from librdkafka callbacks (which must not throw), rethrown by poll()/close().
  std::exception_ptr pending_error_;
  // Streams revoked during the current poll() call, to strip from its output.
  std::vector<std::string> revoked_in_poll_;
  // Streams whose position was checked after a re-delivery since they were assigned.
  std::set<std::string> redelivery_checked_;
  // Per stream: out-of-range reports in a row for a position the watermarks say is valid.
  std::map<std::string, int> out_of_range_retries_;

  // Guarded by mu_: what assigned() and lag() report. next_ maps an assigned
  // stream to the next offset to deliver, or -1 when starting at the earliest.
  mutable std::mutex mu_;
  std::set<std::string> assigned_;
  std::map<std::string, int64_t> next_;
};

}  // namespace sluice
