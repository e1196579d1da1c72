// Inputs the config-loader fuzzer (tests/fuzz/fuzz_config.cpp) found: each
// must be a ConfigError naming the file and a line, never another exception.
#include <gtest/gtest.h>

#include "../support/temp_dir.h"
#include "config/loader.h"
#include "core/error.h"

namespace sluice {
namespace {

std::string fixture(const std::string& name) {
  return testsupport::read_file(std::string(SLUICE_SOURCE_DIR) + "/tests/fuzz/regressions/" + name);
}

void expect_config_error(const std::string& yaml, const std::string& expected_key) {
  try {
    load_pipeline_from_string(yaml, "p.yaml");
    FAIL() << "loaded";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("p.yaml:"), std::string::npos) << what;
    EXPECT_NE(what.find(expected_key), std::string::npos) << what;
  }
}

TEST(ConfigFuzzRegressions, ComplexKeyIsAConfigError) {
  // Found by fuzz_config: a `? key` (complex key) under `source:` made
  // check_keys throw yaml-cpp's TypedBadConversion.
  const std::string crash = fixture("config_complex_key.yaml");
  ASSERT_FALSE(crash.empty());
  expect_config_error(crash, "keys must be plain names");
  expect_config_error("name: p\nsource:\n  ? {a: b}\n  : x\n", "source: keys must be plain names");
}

TEST(ConfigFuzzRegressions, ComplexPropertyKeyIsAConfigError) {
  expect_config_error(
      "name: p\nsource:\n  type: kafka\n  kafka:\n    properties:\n      ? [a]\n      : b\n",
      "source.kafka.properties: keys must be plain names");
}

}  // namespace
}  // namespace sluice
