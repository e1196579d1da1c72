// Helpers for the parser and DLQ tests: fixture loading and batch building.
#pragma once

#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "core/record.h"

namespace sluice::testing {

using testsupport::read_file;

// Lines of a file split on '\n' exactly (empty lines kept, last newline dropped).
inline std::vector<std::string> read_lines(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline std::string fixture(const std::string& name) {
  return std::string(SLUICE_FIXTURES_DIR) + "/parse/" + name;
}

// One record per line; the offset of line i is i.
inline RawBatch batch_of(const std::vector<std::string>& lines,
                         const std::string& stream = "test") {
  RawBatch b;
  const uint32_t id = b.stream_id(stream);
  for (size_t i = 0; i < lines.size(); ++i) b.add(lines[i], id, static_cast<int64_t>(i));
  return b;
}

}  // namespace sluice::testing
