// libFuzzer target: any bytes as a pipeline YAML file. The loader must return
// a config or throw ConfigError (file, line, key); anything else is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/loader.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    sluice::PipelineConfig c = sluice::load_pipeline_from_string(yaml, "fuzz.yaml");
    if (c.name.empty()) std::abort();  // a loaded pipeline always has a name
  } catch (const sluice::ConfigError&) {
  }
  return 0;
}
