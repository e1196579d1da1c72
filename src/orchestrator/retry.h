// Retry policy of orchestrated jobs: exponential backoff with jitter, and the
// one place that decides whether a failure is worth retrying.
//
// Threading: value types and pure functions (the caller owns the random engine).
#pragma once

#include <cstdint>
#include <exception>
#include <random>
#include <string>

namespace sluice {

struct RetryPolicy {
  int max_attempts = 5;       // first attempt included
  int64_t initial_ms = 1000;  // delay before the first retry
  int64_t max_ms = 300000;    // cap of a single delay
  double jitter = 0.2;        // a delay is stretched by a random 0..jitter fraction
};

// What kind of failure a job attempt ended with.
enum class FailureKind {
  kQuality,  // a quality check failed (QualityError): the data is wrong, retrying won't help
  kConfig,   // a configuration problem (ConfigError)
  kRuntime,  // I/O, lake, warehouse, DuckDB (RuntimeError)
  kSystem,   // std::system_error (incl. std::ios_base::failure): the OS said no
  kOther,    // any other std::exception (treated as a bug: fatal)
};

// Classifies the exception `error` (which must not be null).
FailureKind classify_failure(const std::exception_ptr& error);
// True if a failure of this kind may succeed on a later attempt.
bool is_retriable(FailureKind kind);
const char* failure_kind_name(FailureKind kind);

// The delay before retry number `retry` (1 = the first retry):
// initial * 2^(retry-1), capped at max_ms, then stretched by up to `jitter`.
int64_t backoff_delay_ms(const RetryPolicy& policy, int retry, std::mt19937_64& rng);

}  // namespace sluice
