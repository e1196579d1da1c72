#include "orchestrator/retry.h"

#include <algorithm>
#include <system_error>

#include "batch/quality.h"
#include "core/error.h"

namespace sluice {

FailureKind classify_failure(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const QualityError&) {
    return FailureKind::kQuality;
  } catch (const ConfigError&) {
    return FailureKind::kConfig;
  } catch (const RuntimeError&) {
    return FailureKind::kRuntime;
  } catch (const std::system_error&) {
    return FailureKind::kSystem;
  } catch (const std::exception&) {
    return FailureKind::kOther;
  }
}

bool is_retriable(FailureKind kind) {
  switch (kind) {
    case FailureKind::kQuality:
    case FailureKind::kConfig:
    case FailureKind::kOther:
      return false;
    case FailureKind::kRuntime:
    case FailureKind::kSystem:
      return true;
  }
  return false;
}

const char* failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::kQuality:
      return "quality";
    case FailureKind::kConfig:
      return "config";
    case FailureKind::kRuntime:
      return "runtime";
    case FailureKind::kSystem:
      return "system";
    case FailureKind::kOther:
      return "other";
  }
  return "other";
}

int64_t backoff_delay_ms(const RetryPolicy& policy, int retry, std::mt19937_64& rng) {
  int64_t base = std::max<int64_t>(policy.initial_ms, 0);
  for (int i = 1; i < retry && base < policy.max_ms; ++i) base *= 2;
  base = std::min(base, policy.max_ms);
  if (policy.jitter <= 0) return base;
  std::uniform_real_distribution<double> u(0.0, policy.jitter);
  return base + static_cast<int64_t>(static_cast<double>(base) * u(rng));
}

}  // namespace sluice
