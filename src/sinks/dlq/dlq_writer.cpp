#include "sinks/dlq/dlq_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "transforms/parse/utf8.h"

namespace sluice {

namespace {

constexpr size_t kFlushBytes = 1 << 20;

[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int error) {
  throw RuntimeError("dlq: " + what + " " + path + ": " + std::strerror(error));
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string format_dlq_line(const RawBatch& in, const Reject& reject) {
  nlohmann::ordered_json j;
  std::string reason = reject.field.empty() ? "" : reject.field + ": ";
  reason += reject.rule;
  reason += ": ";
  reason += reject.message;
  j["reason"] = reason;
  j["field"] = reject.field;
  j["rule"] = reject.rule;
  if (reject.format) j["format"] = reject.format;
  if (reject.record_index < in.records.size()) {
    const RawRecord& r = in.records[reject.record_index];
    j["source"] = r.position.stream < in.streams.size() ? in.streams[r.position.stream] : "";
    j["offset"] = r.position.offset;
    if (r.line > 0) j["line"] = r.line;
    j["position"] = describe_position(in, r);
    const std::string_view bytes = in.bytes(r);
    if (is_valid_utf8(bytes)) {
      j["original"] = std::string(bytes);
    } else {
      j["original_base64"] = base64_encode(bytes);
    }
  }
  // Messages are built from valid UTF-8 but replace rather than throw if not.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

DlqWriter::UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// Creates the parent directories and opens `path` for appending.
int open_for_append(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      throw RuntimeError("dlq: cannot create directory " + parent.string() + ": " + ec.message());
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot open", path, errno);
  return fd;
}

}  // namespace

DlqWriter::DlqWriter(std::string path) : path_(std::move(path)), fd_(open_for_append(path_)) {}

DlqWriter::~DlqWriter() {
  int error = 0;
  // A destructor cannot report; callers that need durability call sync().
  (void)flush_buffer(&error);
}

void DlqWriter::write(const RawBatch& in, const std::vector<Reject>& rejects) {
  for (const Reject& r : rejects) {
    buffer_ += format_dlq_line(in, r);
    buffer_ += '\n';
    ++records_written_;
  }
  if (buffer_.size() >= kFlushBytes) {
    int error = 0;
    if (!flush_buffer(&error)) throw_errno("cannot write", path_, error);
  }
}

bool DlqWriter::flush_buffer(int* error) {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_.get(), buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = errno;
      buffer_.erase(0, done);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return true;
}

int64_t DlqWriter::sync() {
  int error = 0;
  if (!flush_buffer(&error)) throw_errno("cannot write", path_, error);
  if (::fsync(fd_.get()) != 0) throw_errno("cannot fsync", path_, errno);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno("cannot stat", path_, errno);
  return static_cast<int64_t>(st.st_size);
}

void DlqWriter::truncate_to(const std::string& path, int64_t size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw_errno("cannot stat", path, errno);
  }
  if (st.st_size <= size) return;
  if (::truncate(path.c_str(), size) != 0) throw_errno("cannot truncate", path, errno);
}

}  // namespace sluice
