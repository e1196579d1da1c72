// Test hook for the crash tests: a step callback that SIGKILLs the process
// at the step named by an environment variable (SLUICE_TEST_COMPACT_KILL_AT,
// SLUICE_TEST_BATCH_KILL_AT). Read once where the command is set up, so the
// code that calls the steps only tests an empty std::function.
#pragma once

#include <csignal>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>

namespace sluice {

using StepHook = std::function<void(std::string_view step)>;

// Empty when `env_var` is unset or empty.
inline StepHook kill_at_step_from_env(const char* env_var) {
  const char* at = std::getenv(env_var);
  if (!at || !*at) return {};
  return [step = std::string(at)](std::string_view reached) {
    if (reached == step) std::raise(SIGKILL);
  };
}

}  // namespace sluice
