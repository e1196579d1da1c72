#include "sources/file/file_source.h"

#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace sluice {

namespace {

constexpr size_t kReadChunk = 1 << 20;

std::string errno_text(int err) {
  return std::strerror(err);
}

// Owns a file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Newlines in the first `limit` bytes of `fd` (read from its start).
int64_t count_newlines(int fd, int64_t limit, const std::string& path) {
  std::vector<char> buffer(kReadChunk);
  int64_t count = 0;
  int64_t done = 0;
  while (done < limit) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(limit - done, kReadChunk));
    const ssize_t n = ::pread(fd, buffer.data(), want, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("file source: read " + path + ": " + errno_text(errno));
    }
    if (n == 0) break;
    count += std::count(buffer.data(), buffer.data() + n, '\n');
    done += n;
  }
  return count;
}

bool has_glob_chars(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

std::string absolute_path(const std::filesystem::path& p) {
  return std::filesystem::absolute(p).lexically_normal().string();
}

// Owns a glob_t.
struct GlobDeleter {
  void operator()(glob_t* g) const {
    globfree(g);
    delete g;
  }
};

}  // namespace

struct FileSource::Input {
  std::string path;    // absolute path; empty for stdin
  std::string stream;  // "file:<path>" or "stdin"
  bool is_stdin = false;
  bool finished = false;  // consumed to the end (no follow), or vanished
  UniqueFd fd;
  int64_t start_offset = 0;  // where reading starts (resume position)
  // Pending bytes [begin, end) of `buffer`; `offset` is the position in the
  // input of buffer[begin], i.e. the start of the next unconsumed line.
  std::vector<char> buffer;
  size_t begin = 0;
  size_t end = 0;
  size_t scanned = 0;  // bytes after `begin` known to hold no '\n'
  int64_t offset = 0;
  int64_t line = 1;  // 1-based line number of the line at `offset`
  FileId id;         // of the open file
};

FileSource::FileSource(const FileSourceConfig& config, const SourceOffsets& resume,
                       size_t max_batch_records, size_t max_batch_bytes, int stdin_fd)
    : config_(config),
      resume_(resume),
      max_records_(std::max<size_t>(max_batch_records, 1)),
      max_bytes_(std::max<size_t>(max_batch_bytes, 1)),
      stdin_fd_(stdin_fd) {
  namespace fs = std::filesystem;
  const std::string& path = config_.path;
  if (path.empty()) throw RuntimeError("file source: empty path");
  if (path == "-") {
    mode_ = Mode::kStdin;
    auto in = std::make_unique<Input>();
    in->is_stdin = true;
    in->stream = "stdin";
    inputs_.push_back(std::move(in));
    return;
  }
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (!ec && fs::is_directory(st)) {
    mode_ = Mode::kDirectory;
  } else if (!ec && fs::exists(st)) {
    mode_ = Mode::kFile;
  } else if (has_glob_chars(path) || config_.follow) {
    // A missing plain path in follow mode is waited for like a glob.
    mode_ = Mode::kGlob;
  } else {
    throw RuntimeError("file source: " + path + ": no such file or directory");
  }
  scan();
  if (inputs_.empty() && mode_ == Mode::kGlob && !config_.follow) {
    throw RuntimeError("file source: no files match " + path);
  }
}

FileSource::~FileSource() = default;

void FileSource::add_input(const std::string& absolute) {
  for (const auto& in : inputs_) {
    if (in->path == absolute) return;
  }
  if (!rotated_.empty() || !inputs_.empty()) {
    // A file that is already being read, or was read before it was rotated
    // away, under another name (a glob like access.log* also matches
    // access.log.1): not an input of its own.
    struct stat st;
    if (::stat(absolute.c_str(), &st) == 0) {
      const FileId id{st.st_dev, st.st_ino};
      if (std::find(rotated_.begin(), rotated_.end(), id) != rotated_.end()) return;
      for (const auto& in : inputs_) {
        if (in->fd.valid() && in->id == id) return;
      }
    }
  }
  auto in = std::make_unique<Input>();
  in->path = absolute;
  in->stream = "file:" + absolute;
  auto it = resume_.find(in->stream);
  if (it != resume_.end()) in->start_offset = std::max<int64_t>(it->second, 0);
  in->offset = in->start_offset;
  inputs_.push_back(std::move(in));
}

int64_t FileSource::total_bytes() const {
  if (mode_ == Mode::kStdin) return -1;
  int64_t total = 0;
  for (const auto& in : inputs_) {
    struct stat st;
    if (::stat(in->path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    total += static_cast<int64_t>(st.st_size);
  }
  return total;
}

void FileSource::scan() {
  namespace fs = std::filesystem;
  std::vector<std::string> found;
  switch (mode_) {
    case Mode::kStdin:
      return;
    case Mode::kFile:
      found.push_back(absolute_path(config_.path));
      break;
    case Mode::kDirectory: {
      std::error_code ec;
      fs::directory_iterator it(config_.path, ec);
      if (ec) throw RuntimeError("file source: " + config_.path + ": " + ec.message());
      for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        std::error_code type_ec;
        if (!entry.is_regular_file(type_ec)) continue;
        found.push_back(absolute_path(entry.path()));
      }
      break;
    }
    case Mode::kGlob: {
      std::unique_ptr<glob_t, GlobDeleter> g(new glob_t{});
      int rc = ::glob(config_.path.c_str(), 0, nullptr, g.get());
      if (rc == GLOB_NOMATCH) break;
      if (rc != 0) throw RuntimeError("file source: glob failed for " + config_.path);
      for (size_t i = 0; i < g->gl_pathc; ++i) {
        std::error_code ec;
        if (!fs::is_regular_file(g->gl_pathv[i], ec)) continue;
        found.push_back(absolute_path(g->gl_pathv[i]));
      }
      break;
    }
  }
  std::sort(found.begin(), found.end());
  for (const auto& p : found) add_input(p);
}

size_t FileSource::fill(Input& in) {
  if (in.begin == in.end) {
    in.begin = in.end = 0;
  } else if (in.begin > 0 && (in.end + kReadChunk > in.buffer.size())) {
    std::memmove(in.buffer.data(), in.buffer.data() + in.begin, in.end - in.begin);
    in.end -= in.begin;
    in.begin = 0;
  }
  if (in.end + kReadChunk > in.buffer.size()) {
    in.buffer.resize(std::max(in.buffer.size() * 2, in.end + kReadChunk));
  }
  for (;;) {
    ssize_t n = ::read(in.fd.get(), in.buffer.data() + in.end, in.buffer.size() - in.end);
    if (n >= 0) {
      in.end += static_cast<size_t>(n);
      bytes_read_ += n;
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    throw RuntimeError("file source: read " + (in.is_stdin ? std::string("stdin") : in.path) +
                       ": " + errno_text(errno));
  }
}

bool FileSource::full(const RawBatch& out) const {
  return out.records.size() >= max_records_ || out.arena.size() >= max_bytes_;
}

bool FileSource::take_lines(Input& in, RawBatch& out, bool at_end) {
  bool limit = false;
  bool consumed_any = false;
  uint32_t stream = UINT32_MAX;
  while (in.begin < in.end) {
    if (full(out)) {
      limit = true;
      break;
    }
    const char* p = in.buffer.data() + in.begin;
    size_t avail = in.end - in.begin;
    const void* nl = std::memchr(p + in.scanned, '\n', avail - in.scanned);
    size_t length;
    size_t consumed;
    if (nl != nullptr) {
      length = static_cast<size_t>(static_cast<const char*>(nl) - p);
      consumed = length + 1;
    } else if (at_end) {
      length = consumed = avail;
    } else {
      in.scanned = avail;
      break;
    }
    if (length > 0 && p[length - 1] == '\r') --length;
    if (length > 0) {
      if (!out.records.empty() && out.arena.size() + length > max_bytes_) {
        limit = true;
        break;
      }
      if (stream == UINT32_MAX) stream = out.stream_id(in.stream);
      out.add(std::string_view(p, length), stream, in.offset, -1, in.line);
    }
    in.begin += consumed;
    in.offset += static_cast<int64_t>(consumed);
    ++in.line;
    in.scanned = 0;
    consumed_any = true;
  }
  if (consumed_any) out.next_offsets[in.stream] = in.offset;
  return limit;
}

bool FileSource::read(RawBatch& out, int timeout_ms) {
  out.clear();
  const int64_t deadline = monotonic_millis() + std::max(timeout_ms, 0);
  auto remaining = [&] { return std::max<int64_t>(deadline - monotonic_millis(), 0); };

  auto open_input = [&](Input& in) {
    if (in.fd.valid() || in.finished) return;
    if (in.is_stdin) {
      // Not owned: stdin stays open after the source is gone.
      in.fd = UniqueFd(::dup(stdin_fd_));
      if (!in.fd.valid()) throw RuntimeError("file source: dup stdin: " + errno_text(errno));
      ++files_opened_;
      return;
    }
    int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT && config_.follow) {
        in.finished = true;  // vanished between listing and opening
        return;
      }
      throw RuntimeError("file source: open " + in.path + ": " + errno_text(errno));
    }
    in.fd = UniqueFd(fd);
    ++files_opened_;
    struct stat st;
    if (::fstat(fd, &st) == 0) in.id = FileId{st.st_dev, st.st_ino};
    if (in.offset > 0) {
      // Resuming: the line number of the resume position is the count of
      // newlines before it (read once, so DLQ lines can name the line).
      in.line = 1 + count_newlines(fd, in.offset, in.path);
      if (::lseek(fd, in.offset, SEEK_SET) < 0) {
        throw RuntimeError("file source: seek " + in.path + ": " + errno_text(errno));
      }
    }
  };

  if (!config_.follow || mode_ == Mode::kStdin) {
    // Inputs one after the other, each to its end; stdin ends at EOF.
    while (current_ < inputs_.size()) {
      Input& in = *inputs_[current_];
      open_input(in);
      if (take_lines(in, out, false)) return true;
      if (in.is_stdin) {
        pollfd pfd{in.fd.get(), POLLIN, 0};
        int wait = out.records.empty() ? static_cast<int>(remaining()) : 0;
        int rc;
        do {
          rc = ::poll(&pfd, 1, wait);
        } while (rc < 0 && errno == EINTR);
        if (rc < 0) throw RuntimeError("file source: poll stdin: " + errno_text(errno));
        if (rc == 0) return true;  // nothing yet; the caller may commit and come back
      }
      if (fill(in) > 0) continue;
      if (take_lines(in, out, true)) return true;  // the final line did not fit
      in.fd.reset();
      in.buffer = {};
      in.finished = true;
      ++current_;
    }
    return !out.records.empty() || !out.next_offsets.empty();
  }

  // Follow: visit every input, read what is there, then wait for more.
  for (;;) {
    const size_t n = inputs_.size();
    for (size_t k = 0; k < n; ++k) {
      size_t index = (current_ + k) % n;
      Input& in = *inputs_[index];
      open_input(in);
      if (in.finished) continue;
      for (;;) {
        if (take_lines(in, out, false)) {
          current_ = index;
          return true;
        }
        if (fill(in) > 0) continue;
        // At the current end. A file shorter than our position was truncated
        // in place (copytruncate rotation): start over from its beginning.
        struct stat st;
        int64_t position = in.offset + static_cast<int64_t>(in.end - in.begin);
        if (::fstat(in.fd.get(), &st) == 0 && st.st_size < position) {
          if (::lseek(in.fd.get(), 0, SEEK_SET) < 0) {
            throw RuntimeError("file source: seek " + in.path + ": " + errno_text(errno));
          }
          in.begin = in.end = in.scanned = 0;
          in.offset = 0;
          in.line = 1;
          continue;
        }
        // Rotated by rename (logrotate's default, like tail -F): the path
        // names another file now. The old one is read to its end (above), its
        // last line even without a newline, then the new one from its start.
        // A path that is gone for the moment keeps the old file open.
        if (!in.is_stdin && ::stat(in.path.c_str(), &st) == 0 &&
            FileId{st.st_dev, st.st_ino} != in.id) {
          if (take_lines(in, out, true)) {
            current_ = index;
            return true;
          }
          rotated_.push_back(in.id);
          in.fd.reset();
          in.buffer = {};
          in.begin = in.end = in.scanned = 0;
          in.offset = 0;
          in.line = 1;
          open_input(in);
          if (in.fd.valid()) continue;
        }
        break;
      }
    }
    if (!out.records.empty()) return true;
    int64_t left = remaining();
    if (left <= 0) return true;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min<int64_t>(left, std::max(config_.follow_poll_ms, 1))));
    scan();
  }
}

}  // namespace sluice
