// File source: reads newline-delimited records (NDJSON or text log lines) from
// a file, a directory, a glob or stdin, with byte-offset positions so a
// restart resumes exactly after the last committed line, and an optional
// follow mode (like `tail -F`: picks up appended lines and new files matching
// the input, and follows a file rotated or truncated underneath it).
//
// Threading: a FileSource is used by one thread at a time. read() blocks for
// at most `timeout_ms` (plus the time of the reads themselves).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/pipeline.h"
#include "core/record.h"

namespace sluice {

class FileSource {
 public:
  // config.path: a file, a directory (all regular files inside, sorted,
  // non-recursive, names starting with '.' skipped), a glob (glob(3)), or "-"
  // for stdin. `resume` maps "file:<absolute path>" to the byte offset of the
  // next unread line; those files are read from there (stdin is not
  // resumable). `stdin_fd` is the descriptor read for "-" (tests inject a pipe).
  // Throws RuntimeError when a named file is missing or, without follow, a
  // glob matches nothing.
  FileSource(const FileSourceConfig& config, const SourceOffsets& resume,
             size_t max_batch_records = 8192, size_t max_batch_bytes = 8 << 20, int stdin_fd = 0);
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Clears `out` and reads up to the batch limits of complete lines into it:
  // stream "file:<absolute path>" (or "stdin"), offset = byte offset of the
  // line start. A trailing '\r' is stripped; empty lines are skipped (but
  // counted in offsets); a final line without '\n' is only taken at end of
  // input when not following. A line longer than the byte limit comes through
  // whole, alone in its batch. Sets out.next_offsets[stream] to the byte after
  // the last consumed line of each stream touched.
  // Returns false when all input is consumed and follow is off (the run ends).
  // In follow mode (and for stdin) waits up to timeout_ms for more data or new
  // files and returns true with 0 records if none came. Follow mode handles
  // rotation: a file that shrinks below the read position (copytruncate) is
  // read again from its start; a path that names a different file than the
  // one open (rename rotation: another inode) finishes the old file, its
  // last line even without a newline, then reads the new one from its start,
  // under the same stream ("file:<path>", offsets restarting at 0). A file
  // that was read under another name (a glob matching access.log.1) is not
  // read again. Each record's `line` is its 1-based line number in its file.
  // Throws RuntimeError on I/O errors.
  bool read(RawBatch& out, int timeout_ms);

  // Totals for progress output.
  int64_t bytes_read() const { return bytes_read_; }
  // The inputs' sizes now (resumed parts included): the total that progress
  // output counts down. -1 when reading stdin or an input is not a regular file.
  int64_t total_bytes() const;
  int64_t files_opened() const { return files_opened_; }

  struct Input;  // one file or stdin: descriptor, position, pending bytes

 private:
  enum class Mode { kFile, kDirectory, kGlob, kStdin };

  // Lists the inputs (again, in follow mode) and adds those not yet known.
  void scan();
  void add_input(const std::string& absolute_path);
  // Takes complete lines of `in` into `out` within the limits; true when a
  // limit was reached.
  bool take_lines(Input& in, RawBatch& out, bool at_end);
  // Reads more bytes from `in`; returns the number of bytes read (0 at EOF).
  size_t fill(Input& in);
  bool full(const RawBatch& out) const;

  // A file's identity, to tell a rotated path from the file we have open.
  struct FileId {
    uint64_t device = 0;
    uint64_t inode = 0;
    bool operator==(const FileId&) const = default;
  };

  FileSourceConfig config_;
  SourceOffsets resume_;
  size_t max_records_;
  size_t max_bytes_;
  int stdin_fd_;
  Mode mode_ = Mode::kFile;
  std::vector<std::unique_ptr<Input>> inputs_;
  size_t current_ = 0;  // without follow: inputs before this one are finished
  int64_t bytes_read_ = 0;
  int64_t files_opened_ = 0;
  std::vector<FileId> rotated_;  // files read to their end and rotated away
};

}  // namespace sluice
