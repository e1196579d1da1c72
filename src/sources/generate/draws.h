// Deterministic random draws (splitmix64) and the number formatting the
// generators share: event i is a pure function of (seed, i), so every draw
// comes from a generator seeded for that event.
//
// Threading: pure functions; an Rng belongs to one caller.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <string_view>

namespace sluice::generate {

// splitmix64 finalizer: a strong 64-bit mix used both to derive per-event seeds
// and as the step of the per-event generator.
constexpr uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// splitmix64 sequence: small, fast, and good enough for synthetic data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  double normal() {
    double u1 = 1.0 - uniform();  // (0, 1]
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  double log_normal(double median, double sigma) { return median * std::exp(sigma * normal()); }

 private:
  uint64_t state_;
};

// Picks an index by cumulative weights.
inline size_t pick(Rng& rng, std::span<const double> cumulative) {
  double u = rng.uniform() * cumulative.back();
  auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<size_t>(static_cast<size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

// --- formatting into the output buffer -------------------------------------

inline void put(std::string& out, std::string_view s) {
  out.append(s);
}

inline void put_int(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

inline void put_padded(std::string& out, int64_t v, int width) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  for (int pad = width - static_cast<int>(res.ptr - buf); pad > 0; --pad) out.push_back('0');
  out.append(buf, res.ptr);
}

// Fixed-point decimal with `decimals` (0..3) digits; deterministic and cheap.
inline void put_fixed(std::string& out, double v, int decimals) {
  static constexpr int64_t kScale[] = {1, 10, 100, 1000};
  const int64_t scale = kScale[decimals];
  bool negative = v < 0;
  int64_t scaled = std::llround(std::fabs(v) * static_cast<double>(scale));
  if (negative && scaled != 0) out.push_back('-');
  put_int(out, scaled / scale);
  if (decimals > 0) {
    out.push_back('.');
    put_padded(out, scaled % scale, decimals);
  }
}

inline void put_hex(std::string& out, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 15]);
}

}  // namespace sluice::generate
