// Dead-letter queue as an append-only NDJSON file: one line per rejected
// record with the reason, the source position and the original bytes.
//
// Threading: a DlqWriter is used by one thread at a time. write() buffers in
// memory and may block on write(2) when the buffer fills; sync() blocks on
// fsync. truncate_to() is for restart, before any writer opens the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/record.h"
#include "transforms/parse/parser.h"

namespace sluice {

// One DLQ line (no trailing newline) for `reject`, a reject of a record in `in`:
// {"reason": "<field>: <rule>: <message>", "field", "rule", "format": the
// input format, "source": stream name, "offset", "line": line number (files,
// and Kafka messages split into lines; left out otherwise), "position":
// describe_position(), "original": record bytes} or "original_base64"
// instead of "original" when the bytes are not UTF-8.
// Shared by the file DLQ and a Kafka DLQ.
std::string format_dlq_line(const RawBatch& in, const Reject& reject);

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);

class DlqWriter {
 public:
  // Opens (creating it and its parent directories) `path` for appending.
  // Throws RuntimeError when that fails.
  explicit DlqWriter(std::string path);
  // Flushes buffered lines (without fsync); errors there are lost.
  ~DlqWriter();
  DlqWriter(const DlqWriter&) = delete;
  DlqWriter& operator=(const DlqWriter&) = delete;

  // Appends one line per reject (buffered). Throws RuntimeError on I/O errors.
  void write(const RawBatch& in, const std::vector<Reject>& rejects);
  // Writes the buffer, fsyncs, and returns the file size in bytes: the size
  // a lake commit records so that a restart can cut off later lines.
  int64_t sync();
  // Cuts the file at `path` back to `size` bytes if it is longer (lines
  // written after the last lake commit). A missing file is left missing.
  static void truncate_to(const std::string& path, int64_t size);

  int64_t records_written() const { return records_written_; }
  const std::string& path() const { return path_; }

 private:
  // Owns a POSIX file descriptor.
  class UniqueFd {
   public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd();
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }

   private:
    int fd_;
  };

  bool flush_buffer(int* error);

  std::string path_;
  UniqueFd fd_;
  std::string buffer_;
  int64_t records_written_ = 0;
};

}  // namespace sluice
