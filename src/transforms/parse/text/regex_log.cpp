#include "transforms/parse/text/regex_log.h"

#include <stdexcept>

namespace sluice::parse::text {

RegexScanner::RegexScanner(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  re_ = std::make_unique<RE2>(pattern, options);
  if (!re_->ok()) throw std::invalid_argument("pattern does not compile: " + re_->error());
  const auto& named = re_->CapturingGroupNames();  // group index -> name
  if (named.empty()) throw std::invalid_argument("pattern has no named group (?P<name>...)");
  if (named.size() > kMaxCaptures) {
    throw std::invalid_argument("pattern has more than " + std::to_string(kMaxCaptures) +
                                " named groups");
  }
  names_.reserve(named.size());
  for (const auto& [index, name] : named) {
    names_.push_back(name);
    group_of_slot_.push_back(index);
  }
  for (const std::string& name : names_) captures_.push_back({name, CaptureKind::kPlain, {}});
  groups_.resize(static_cast<size_t>(re_->NumberOfCapturingGroups()) + 1);
}

bool RegexScanner::scan(std::string_view line, Captures& out, std::string& error) {
  if (!re_->Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::ANCHOR_BOTH,
                  groups_.data(), static_cast<int>(groups_.size()))) {
    error = "the line does not match the pattern";
    return false;
  }
  for (size_t slot = 0; slot < group_of_slot_.size(); ++slot) {
    const re2::StringPiece& g = groups_[static_cast<size_t>(group_of_slot_[slot])];
    if (g.data() != nullptr) out.put(slot, std::string_view(g.data(), g.size()));
  }
  return true;
}

}  // namespace sluice::parse::text
