// Test hook for the crash tests: a step callback that SIGKILLs the process
// at the step named by an environment variable (SLUICE_TEST_COMPACT_KILL_AT,
// SLUICE_TEST_BATCH_KILL_AT), or stops it there (SIGSTOP,
// SLUICE_TEST_FINALIZER_STOP_AT). Read once where the command is set up, so the
// code that calls the steps only tests an empty std::function.
#pragma once

#include <csignal>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>

namespace sluice {

using StepHook = std::function<void(std::string_view step)>;

// Raises `sig` the first time the step named by `env_var` is reached (for
// SIGSTOP: the process stops there until SIGCONT, then goes on). Empty when
// `env_var` is unset or empty.
inline StepHook signal_at_step_from_env(const char* env_var, int sig) {
  const char* at = std::getenv(env_var);
  if (!at || !*at) return {};
  return [step = std::string(at), sig, fired = false](std::string_view reached) mutable {
    if (reached != step || fired) return;
    fired = true;
    std::raise(sig);
  };
}

inline StepHook kill_at_step_from_env(const char* env_var) {
  return signal_at_step_from_env(env_var, SIGKILL);
}

}  // namespace sluice
