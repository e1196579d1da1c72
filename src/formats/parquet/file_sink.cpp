#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "core/error.h"
#include "formats/parquet/parquet_writer.h"

namespace sluice::parquet {

namespace {

[[noreturn]] void fail(const char* what, const std::string& path, int err) {
  throw RuntimeError(std::string("parquet: ") + what + " " + path + ": " + std::strerror(err) +
                     " (errno " + std::to_string(err) + ")");
}

}  // namespace

FileSink::FileSink(std::string path, size_t buffer_bytes)
    : path_(std::move(path)), capacity_(buffer_bytes == 0 ? 1 : buffer_bytes) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create", path_, errno);
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSink::write_fully(const uint8_t* data, size_t n) {
  while (n > 0) {
    const ssize_t got = ::write(fd_, data, n);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path_, errno);
    }
    data += got;
    n -= static_cast<size_t>(got);
  }
}

void FileSink::write(const void* data, size_t n) {
  if (fd_ < 0) throw RuntimeError("parquet: write to closed file " + path_);
  const uint8_t* p = static_cast<const uint8_t*>(data);
  if (!buffer_) buffer_.reset(new uint8_t[capacity_]);
  if (used_ + n <= capacity_) {
    std::memcpy(buffer_.get() + used_, p, n);
    used_ += n;
  } else {
    flush();
    if (n >= capacity_) {
      write_fully(p, n);
    } else {
      std::memcpy(buffer_.get(), p, n);
      used_ = n;
    }
  }
  position_ += n;
}

void FileSink::flush() {
  if (fd_ < 0) throw RuntimeError("parquet: flush of closed file " + path_);
  const size_t n = used_;
  used_ = 0;
  if (n > 0) write_fully(buffer_.get(), n);
}

void FileSink::release_buffer() {
  flush();
  buffer_.reset();
}

void FileSink::sync() {
  flush();
  if (::fsync(fd_) != 0) fail("cannot fsync", path_, errno);
}

void FileSink::close() {
  if (fd_ < 0) return;
  try {
    flush();
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close", path_, errno);
}

}  // namespace sluice::parquet
