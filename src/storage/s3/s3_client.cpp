#include "storage/s3/s3_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>

#include "storage/s3/s3_errors.h"

namespace sluice::storage {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return std::string(s.substr(b, e - b));
}

std::string xml_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (ent == "apos") {
      out += '\'';
    } else if (!ent.empty() && ent[0] == '#') {
      unsigned long cp = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                             ? std::strtoul(std::string(ent.substr(2)).c_str(), nullptr, 16)
                             : std::strtoul(std::string(ent.substr(1)).c_str(), nullptr, 10);
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string canonical_query(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [name, value] : query) {
    name = uri_encode(name, false);
    value = uri_encode(value, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) out += fmt::format("{:02x}", b);
  return out;
}

std::string amz_date(int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::vector<std::string_view> xml_blocks(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string open, close;
  open.append("<").append(tag).append(">");
  close.append("</").append(tag).append(">");
  size_t pos = 0;
  for (;;) {
    size_t b = xml.find(open, pos);
    if (b == std::string_view::npos) break;
    b += open.size();
    size_t e = xml.find(close, b);
    if (e == std::string_view::npos) break;
    out.push_back(xml.substr(b, e - b));
    pos = e + close.size();
  }
  return out;
}

std::string xml_text(std::string_view xml, std::string_view tag) {
  auto blocks = xml_blocks(xml, tag);
  return blocks.empty() ? std::string() : xml_unescape(blocks.front());
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The state of one HTTP attempt, shared with curl's callbacks.
struct S3Client::Attempt {
  // Upload source.
  std::string_view memory;
  int fd = -1;
  int64_t file_offset = 0;
  int64_t length = 0;
  int64_t sent = 0;
  // Download sink.
  int out_fd = -1;
  std::string out_path;
  bool write_failed = false;
  CURL* curl = nullptr;
  // Result.
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string error_buffer;
};

namespace {

size_t on_read(char* buffer, size_t size, size_t nitems, void* user) {
  auto* a = static_cast<S3Client::Attempt*>(user);
  const int64_t want = std::min<int64_t>(static_cast<int64_t>(size * nitems), a->length - a->sent);
  if (want <= 0) return 0;
  if (a->fd < 0) {
    std::memcpy(buffer, a->memory.data() + a->sent, static_cast<size_t>(want));
    a->sent += want;
    return static_cast<size_t>(want);
  }
  for (;;) {
    ssize_t n = ::pread(a->fd, buffer, static_cast<size_t>(want), a->file_offset + a->sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return CURL_READFUNC_ABORT;  // the file shrank or failed
    a->sent += n;
    return static_cast<size_t>(n);
  }
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* a = static_cast<S3Client::Attempt*>(user);
  if (origin != SEEK_SET || offset < 0 || offset > a->length) return CURL_SEEKFUNC_CANTSEEK;
  a->sent = offset;
  return CURL_SEEKFUNC_OK;
}

size_t on_write(char* data, size_t size, size_t nmemb, void* user) {
  auto* a = static_cast<S3Client::Attempt*>(user);
  const size_t n = size * nmemb;
  long status = 0;
  curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
  if (a->out_fd >= 0 && status >= 200 && status < 300) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(a->out_fd, data + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        a->write_failed = true;
        return 0;
      }
      done += static_cast<size_t>(w);
    }
    return n;
  }
  if (a->out_fd >= 0 || status < 200 || status >= 300) {
    // Error bodies are small XML documents; keep a bounded prefix.
    if (a->body.size() < kMaxErrorBody) a->body.append(data, std::min(n, kMaxErrorBody));
    return n;
  }
  a->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t nitems, void* user) {
  auto* a = static_cast<S3Client::Attempt*>(user);
  const size_t n = size * nitems;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    a->headers.clear();  // a new response (after 100 Continue)
    return n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    a->headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return n;
}

}  // namespace

S3Client::S3Client(S3ClientConfig config) : config_(std::move(config)) {
  global_init();
}

S3Client::~S3Client() {
  for (void* h : pool_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* S3Client::acquire() {
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!pool_.empty()) {
      void* h = pool_.back();
      pool_.pop_back();
      return h;
    }
  }
  CURL* curl = curl_easy_init();
  if (!curl) throw StorageError(StorageErrorKind::kIo, "s3: curl_easy_init failed");
  return curl;
}

void S3Client::release(void* handle) {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  pool_.push_back(handle);
}

std::string S3Client::target(const std::string& key) const {
  return "s3://" + config_.bucket + (key.empty() ? "" : "/" + key);
}

void S3Client::perform(const S3Request& request, Attempt& a) {
  CURL* curl = static_cast<CURL*>(acquire());
  struct Return {
    S3Client* self;
    CURL* curl;
    ~Return() {
      curl_easy_reset(curl);  // keeps the connection cache
      self->release(curl);
    }
  } give_back{this, curl};
  a.curl = curl;

  std::string path;
  if (config_.path_style) {
    path = "/" + config_.bucket;
    if (!request.key.empty()) path += "/" + uri_encode(request.key, true);
  } else {
    path = "/" + uri_encode(request.key, true);
  }
  const std::string host = config_.path_style ? config_.host : config_.bucket + "." + config_.host;
  std::string url = config_.scheme + "://" + host + path;
  const std::string query = canonical_query(request.query);
  if (!query.empty()) url += "?" + query;

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& h) {
    curl_slist* next = curl_slist_append(headers.get(), h.c_str());
    if (!next) throw StorageError(StorageErrorKind::kIo, "s3: out of memory");
    headers.release();
    headers.reset(next);
  };
  const bool from_file = !request.file.empty();
  std::string payload_hash;
  if (from_file) {
    payload_hash = "UNSIGNED-PAYLOAD";
  } else if (request.memory.empty()) {
    payload_hash = kEmptySha256;
  } else {
    payload_hash = sha256_hex(request.memory);
  }
  add_header("x-amz-content-sha256: " + payload_hash);
  if (!config_.credentials.session_token.empty()) {
    add_header("x-amz-security-token: " + config_.credentials.session_token);
  }
  if (config_.clock_ms) add_header("x-amz-date: " + amz_date(config_.clock_ms()));
  for (const std::string& h : request.headers) add_header(h);

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, a.error_buffer.data());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.stall_timeout_s));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, config_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, config_.verify_tls ? 2L : 0L);
  const std::string sigv4 = "aws:amz:" + config_.region + ":s3";
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, config_.credentials.access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.credentials.secret_key.c_str());
  curl_slist* connect_to = nullptr;
  if (!config_.connect_to.empty()) {
    connect_to = curl_slist_append(nullptr, config_.connect_to.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
  }
  std::unique_ptr<curl_slist, SlistDeleter> connect_to_owner(connect_to);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);

  // The body.
  int fd = -1;
  if (from_file) {
    fd = ::open(request.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw StorageError(StorageErrorKind::kIo,
                         "s3: cannot open " + request.file + ": " + std::strerror(errno));
    }
    a.fd = fd;
    a.file_offset = request.file_offset;
    a.length = request.file_length;
  } else {
    a.memory = request.memory;
    a.length = static_cast<int64_t>(request.memory.size());
  }
  struct CloseFd {
    int fd;
    ~CloseFd() {
      if (fd >= 0) ::close(fd);
    }
  } close_fd{fd};
  a.sent = 0;
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &a);
  curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
  curl_easy_setopt(curl, CURLOPT_SEEKDATA, &a);
  if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(a.length));
  } else if (request.method == "POST") {
    add_header("Content-Type: application/xml");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(a.length));
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  // The download sink: truncated on each attempt.
  int out_fd = -1;
  if (!request.download_file.empty()) {
    out_fd = ::open(request.download_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      throw StorageError(StorageErrorKind::kIo, "s3: cannot create " + request.download_file +
                                                    ": " + std::strerror(errno));
    }
  }
  CloseFd close_out{out_fd};
  a.out_fd = out_fd;
  a.out_path = request.download_file;

  attempts_.fetch_add(1);
  a.code = curl_easy_perform(curl);
  a.status = 0;
  if (a.code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.status);
  if (a.write_failed) {
    throw StorageError(StorageErrorKind::kIo,
                       "s3: cannot write " + request.download_file + ": " + std::strerror(errno));
  }
  if (out_fd >= 0 && a.code == CURLE_OK && a.status >= 200 && a.status < 300) {
    if (::fsync(out_fd) != 0) {
      throw StorageError(StorageErrorKind::kIo,
                         "s3: cannot fsync " + request.download_file + ": " + std::strerror(errno));
    }
  }
}

S3Response S3Client::send(const S3Request& request) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  S3Response response;
  const int max_attempts = 1 + std::max(0, config_.max_retries);
  for (int attempt = 1;; ++attempt) {
    Attempt a;
    a.error_buffer.assign(CURL_ERROR_SIZE + 1, '\0');
    perform(request, a);
    response.attempts = attempt;
    std::string code;
    long status = a.status;
    if (a.code == CURLE_OK) {
      const bool ok = status >= 200 && status < 300;
      if (ok && request.error_in_body && a.body.find("<Error>") != std::string::npos) {
        code = xml_text(a.body, "Code");
        status = 500;  // "200 with an error inside": treat as the server error it is
      } else if (ok || std::find(request.accept.begin(), request.accept.end(), status) !=
                           request.accept.end()) {
        response.status = status;
        response.body = std::move(a.body);
        response.headers = std::move(a.headers);
        return response;
      } else {
        code = xml_text(a.body, "Code");
      }
    }
    const S3Failure failure = classify_s3(status, code, static_cast<int>(a.code));
    if (!is_retriable(failure) || attempt >= max_attempts) {
      std::string detail =
          a.code != CURLE_OK
              ? std::string(curl_easy_strerror(a.code)) +
                    (a.error_buffer[0] ? std::string(": ") + a.error_buffer.c_str() : std::string())
              : std::string();
      if (attempt > 1) {
        detail += (detail.empty() ? "" : "; ") + fmt::format("gave up after {} attempts", attempt);
      }
      throw StorageError(
          storage_error_kind(failure),
          describe_s3_failure(failure, request.method, target(request.key), status, code, detail));
    }
    // Anything but a refused connection or SlowDown may have been applied.
    if (failure != S3Failure::kSlowDown &&
        !(failure == S3Failure::kConnection && a.code == CURLE_COULDNT_CONNECT)) {
      response.ambiguous = true;
    }
    const int64_t cap =
        std::min<int64_t>(config_.retry_max_ms, config_.retry_base_ms << std::min(attempt - 1, 20));
    std::uniform_int_distribution<int64_t> jitter(cap / 2, std::max<int64_t>(cap / 2, cap));
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
  }
}

}  // namespace sluice::storage
