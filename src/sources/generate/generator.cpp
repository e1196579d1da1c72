#include "sources/generate/generator.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "core/time.h"
#include "sources/generate/access_log_lines.h"
#include "sources/generate/draws.h"

namespace sluice {

namespace {

using namespace generate;

// "2025-01-01T00:00:00.123Z" (IoT, seed 004), "2025-01-01T00:00:00Z"
// (clickstream, seed 000) or "2025-01-01T00:00:00" (user events, seed 003:
// no zone, read as UTC).
enum class IsoStyle { kMillisZ, kSecondsZ, kSecondsNoZone };
void put_iso(std::string& out, int64_t ts_ms, IsoStyle style) {
  int64_t ms = ts_ms % 1000;
  if (ms < 0) ms += 1000;
  CivilTime c = to_civil((ts_ms - ms) * 1000);
  put_padded(out, c.year, 4);
  out.push_back('-');
  put_padded(out, c.month, 2);
  out.push_back('-');
  put_padded(out, c.day, 2);
  out.push_back('T');
  put_padded(out, c.hour, 2);
  out.push_back(':');
  put_padded(out, c.minute, 2);
  out.push_back(':');
  put_padded(out, c.second, 2);
  if (style == IsoStyle::kMillisZ) {
    out.push_back('.');
    put_padded(out, ms, 3);
  }
  if (style != IsoStyle::kSecondsNoZone) out.push_back('Z');
}

void put_uuid_v4(std::string& out, Rng& rng) {
  uint64_t hi = rng.next();
  uint64_t lo = rng.next();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                         // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  put_hex(out, hi >> 32, 8);
  out.push_back('-');
  put_hex(out, (hi >> 16) & 0xFFFF, 4);
  out.push_back('-');
  put_hex(out, hi & 0xFFFF, 4);
  out.push_back('-');
  put_hex(out, lo >> 48, 4);
  out.push_back('-');
  put_hex(out, lo & 0xFFFFFFFFFFFFULL, 12);
}

// Bytes that are never valid UTF-8 (a lead byte followed by a non-continuation
// byte, and a byte that can never appear).
constexpr std::string_view kInvalidUtf8 = "\xC3\x28\xFF";

// --- catalogues --------------------------------------------------------------

constexpr CatalogueProduct kProducts[] = {
    {"playstation5", "P100", "PlayStation 5 Console", "gaming"},
    {"xbox-series-x", "P101", "Xbox Series X", "gaming"},
    {"nintendo-switch-oled", "P102", "Nintendo Switch OLED", "gaming"},
    {"dualsense-controller", "P103", "DualSense Controller", "gaming"},
    {"gaming-headset-pro", "P104", "Gaming Headset Pro", "gaming"},
    {"mechanical-keyboard", "P105", "Mechanical Keyboard", "computers"},
    {"wireless-mouse", "P106", "Wireless Mouse", "computers"},
    {"ultrabook-14", "P107", "Ultrabook 14\"", "computers"},
    {"laptop-stand", "P108", "Aluminium Laptop Stand", "computers"},
    {"usb-c-hub", "P109", "USB-C Hub 7-in-1", "computers"},
    {"monitor-27-4k", "P110", "27\" 4K Monitor", "computers"},
    {"webcam-1080p", "P111", "1080p Webcam", "computers"},
    {"external-ssd-1tb", "P112", "External SSD 1TB", "storage"},
    {"microsd-256gb", "P113", "microSD 256GB", "storage"},
    {"nas-2-bay", "P114", "2-Bay NAS", "storage"},
    {"smartphone-x12", "P115", "Smartphone X12", "phones"},
    {"smartphone-x12-pro", "P116", "Smartphone X12 Pro", "phones"},
    {"phone-case-clear", "P117", "Clear Phone Case", "phones"},
    {"fast-charger-65w", "P118", "65W Fast Charger", "phones"},
    {"wireless-charger-pad", "P119", "Wireless Charger Pad", "phones"},
    {"noise-cancelling-headphones", "P120", "Noise Cancelling Headphones", "audio"},
    {"true-wireless-earbuds", "P121", "True Wireless Earbuds", "audio"},
    {"bluetooth-speaker", "P122", "Bluetooth Speaker", "audio"},
    {"soundbar-3-1", "P123", "Soundbar 3.1", "audio"},
    {"turntable-classic", "P124", "Classic Turntable", "audio"},
    {"smart-tv-55", "P125", "55\" Smart TV", "tv"},
    {"smart-tv-65", "P126", "65\" Smart TV", "tv"},
    {"streaming-stick-4k", "P127", "4K Streaming Stick", "tv"},
    {"projector-mini", "P128", "Mini Projector", "tv"},
    {"smartwatch-series-3", "P129", "Smartwatch Series 3", "wearables"},
    {"fitness-band", "P130", "Fitness Band", "wearables"},
    {"vr-headset", "P131", "VR Headset", "wearables"},
    {"action-camera", "P132", "Action Camera", "cameras"},
    {"mirrorless-camera", "P133", "Mirrorless Camera", "cameras"},
    {"camera-lens-50mm", "P134", "50mm Prime Lens", "cameras"},
    {"tripod-travel", "P135", "Travel Tripod", "cameras"},
    {"drone-mini", "P136", "Mini Drone", "cameras"},
    {"e-reader", "P137", "E-Reader", "tablets"},
    {"tablet-11", "P138", "11\" Tablet", "tablets"},
    {"stylus-pen", "P139", "Stylus Pen", "tablets"},
    {"robot-vacuum", "P140", "Robot Vacuum", "home"},
    {"smart-speaker", "P141", "Smart Speaker", "home"},
    {"smart-bulb-4pack", "P142", "Smart Bulb 4-Pack", "home"},
    {"video-doorbell", "P143", "Video Doorbell", "home"},
    {"smart-thermostat", "P144", "Smart Thermostat", "home"},
    {"air-purifier", "P145", "Air Purifier", "home"},
    {"espresso-machine", "P146", "Espresso Machine", "kitchen"},
    {"air-fryer", "P147", "Air Fryer", "kitchen"},
    {"blender-pro", "P148", "Blender Pro", "kitchen"},
    {"electric-kettle", "P149", "Electric Kettle", "kitchen"},
};
constexpr size_t kProductCount = sizeof kProducts / sizeof kProducts[0];

constexpr std::string_view kProductPrefix = "/product/";

// Pages other than product pages, with their relative weight.
struct OtherPage {
  std::string_view path;
  double weight;
};
constexpr OtherPage kOtherPages[] = {
    {"/", 6.0}, {"/cart", 2.5}, {"/checkout", 1.2}, {"/search", 2.0}, {"/account", 0.6},
};
constexpr size_t kOtherCount = sizeof kOtherPages / sizeof kOtherPages[0];

struct Tables {
  std::vector<double> page_cdf;     // clickstream: other pages, then products
  std::vector<double> page_id_cdf;  // user_events: p-1..p-200, Zipf-like
};

const Tables& tables() {
  static const Tables t = [] {
    Tables r;
    double sum = 0;
    for (const auto& p : kOtherPages) r.page_cdf.push_back(sum += p.weight);
    for (size_t k = 0; k < kProductCount; ++k) {
      r.page_cdf.push_back(sum += 4.0 / std::pow(static_cast<double>(k + 1), 0.8));
    }
    sum = 0;
    for (int k = 1; k <= 200; ++k) r.page_id_cdf.push_back(sum += 1.0 / std::pow(k, 1.1));
    return r;
  }();
  return t;
}

constexpr std::string_view kActions[] = {"click", "scroll", "hover", "add_to_cart", "submit"};
constexpr double kActionCdf[] = {40, 70, 85, 95, 100};
constexpr std::string_view kTargets[] = {"buy_now",       "add_to_cart",      "reviews",
                                         "nav_menu",      "search_box",       "image_gallery",
                                         "size_selector", "checkout",         "newsletter_signup",
                                         "footer_link",   "related_products", "qty_input"};

constexpr std::string_view kEventTypes[] = {"click", "view", "purchase", "login", "logout"};
constexpr double kEventTypeCdf[] = {40, 75, 80, 90, 100};

constexpr std::string_view kDeviceTypes[] = {"temperature", "pressure", "humidity", "motion",
                                             "light"};
constexpr std::string_view kStatuses[] = {"normal", "warning", "critical"};
constexpr double kStatusCdf[] = {80, 95, 100};
constexpr std::string_view kZones[] = {"zone-A", "zone-B", "zone-C", "zone-D", "zone-E"};
constexpr uint64_t kIotDevices = 50;  // device-001..device-050, as in seed 004

constexpr std::string_view kNotObjects[] = {
    "[\"retry\",",
    "\"upstream timeout ",
    "ERROR broker connection reset by peer, attempt ",
    "<html><body>502 Bad Gateway</body></html> ",
    "",  // a bare number
};

uint64_t family_salt(EventFamily f) {
  switch (f) {
    case EventFamily::kClickstream:
      return 0xC11C5;
    case EventFamily::kUserEvents:
      return 0x05E7;
    case EventFamily::kIot:
      return 0x107;
    case EventFamily::kAccessLog:
      return 0xACCE55;
  }
  return 0;
}

// Session numbering shared by clickstream and user_events: about 8 sessions
// are active per 64 consecutive events, each with ~8 events.
uint64_t session_number(int64_t index, Rng& rng) {
  return static_cast<uint64_t>(index / 64) * 8 + rng.below(8);
}

// Clickstream sessions like seed 000's "abc123": three letters, then a
// number unique to the session.
void put_click_session_id(std::string& out, uint64_t key, uint64_t session) {
  uint64_t h = mix64(key ^ mix64(session ^ 0x5E55105ULL));
  for (int k = 0; k < 3; ++k, h /= 26) out.push_back(static_cast<char>('a' + h % 26));
  put_int(out, static_cast<int64_t>(100 + key % 900 + session));
}

// User-event sessions like seed 003's "sess_12345".
void put_user_session_id(std::string& out, uint64_t key, uint64_t session) {
  put(out, "sess_");
  put_int(out, static_cast<int64_t>(10000 + key % 90000 + session));
}

constexpr int64_t kHourMs = 3600000;
constexpr double kLivePastPct = 5;  // live: share of events from the previous 24 hours

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Event time of the event at `index` under `spread`. Always takes the same
// draws from `rng`, so the rest of the event does not depend on the spread.
int64_t spread_time_ms(const TimeSpread& spread, int64_t start_ms, double ms_per_event,
                       int64_t index, Rng& rng) {
  const int64_t nominal =
      start_ms + static_cast<int64_t>(std::floor(static_cast<double>(index) * ms_per_event));
  const int64_t jitter = static_cast<int64_t>(rng.below(50));
  const double u = rng.uniform();
  const uint64_t r = rng.next();
  switch (spread.kind) {
    case TimeSpread::Kind::kSingle:
      break;
    case TimeSpread::Kind::kLive:
      if (u * 100 < kLivePastPct) {
        // Anywhere in the 24 hours before the current hour.
        const int64_t hour_start = floor_div(nominal, kHourMs) * kHourMs;
        return hour_start - 1 - static_cast<int64_t>(r % static_cast<uint64_t>(24 * kHourMs));
      }
      break;
    case TimeSpread::Kind::kBackfill:
      return start_ms + static_cast<int64_t>(r % static_cast<uint64_t>(spread.hours * kHourMs));
  }
  return nominal + jitter;
}

}  // namespace

TimeSpread default_time_spread(std::string_view family) {
  if (family == "iot") return TimeSpread{TimeSpread::Kind::kSingle, 0};
  return TimeSpread{TimeSpread::Kind::kLive, 0};
}

double default_duplicates_pct(std::string_view family) {
  return family == "iot" ? 2.0 : 0.0;
}

double default_malformed_pct(std::string_view family) {
  return family == "access-log" ? 0.2 : 0.0;
}

GeneratorOptions generator_options(const GenerateSourceConfig& config) {
  GeneratorOptions o;
  o.family = config.family;
  o.seed = config.seed;
  o.duplicates_pct = config.duplicates_pct.value_or(default_duplicates_pct(config.family));
  o.malformed_pct = config.malformed_pct;
  o.late_pct = config.late_pct;
  o.spread = config.spread;
  if (config.rate > 0) o.events_per_second_of_event_time = config.rate;
  return o;
}

Generator::Generator(GeneratorOptions options) : options_(std::move(options)) {
  if (options_.family == "clickstream") {
    family_ = EventFamily::kClickstream;
  } else if (options_.family == "user_events") {
    family_ = EventFamily::kUserEvents;
  } else if (options_.family == "iot") {
    family_ = EventFamily::kIot;
  } else if (options_.family == "access-log") {
    family_ = EventFamily::kAccessLog;
  } else {
    throw std::invalid_argument("unknown event family '" + options_.family +
                                "' (expected clickstream, user_events, iot or access-log)");
  }
  auto check_pct = [](double v, const char* name) {
    if (!(v >= 0 && v <= 100)) {
      throw std::invalid_argument(std::string(name) + " must be between 0 and 100");
    }
  };
  check_pct(options_.duplicates_pct, "duplicates_pct");
  check_pct(options_.malformed_pct, "malformed_pct");
  check_pct(options_.late_pct, "late_pct");
  if (!(options_.events_per_second_of_event_time > 0)) {
    throw std::invalid_argument("events_per_second_of_event_time must be positive");
  }
  spread_ = options_.spread.value_or(default_time_spread(options_.family));
  if (spread_.kind == TimeSpread::Kind::kBackfill && (spread_.hours < 1 || spread_.hours > 87600)) {
    throw std::invalid_argument("backfill spread needs 1..87600 hours");
  }
  stream_ = "generate:" + options_.family;
  key_ = mix64(mix64(options_.seed) ^ family_salt(family_));
  ms_per_event_ = 1000.0 / options_.events_per_second_of_event_time;
  tables();  // build the shared tables now, not on the hot path
}

Generator::Decision Generator::decide(int64_t index) const {
  // Each step of a duplicate chain moves strictly backwards, so this ends.
  for (;;) {
    Rng rng(mix64(key_ ^ mix64(static_cast<uint64_t>(index) * 2)));
    double u_dup = rng.uniform();
    uint64_t back = rng.below(1000);
    double u_malformed = rng.uniform();
    uint64_t variant = rng.next();
    double u_late = rng.uniform();
    if (index > 0 && u_dup * 100 < options_.duplicates_pct) {
      // A producer retry: repeat one of the previous (up to) 1000 events.
      index -=
          1 + static_cast<int64_t>(back % static_cast<uint64_t>(std::min<int64_t>(index, 1000)));
      continue;
    }
    Decision d{index, Corruption::kNone, u_late * 100 < options_.late_pct};
    if (u_malformed * 100 < options_.malformed_pct) {
      static constexpr Corruption kCommon[] = {Corruption::kTruncated, Corruption::kWrongType,
                                               Corruption::kMissingField, Corruption::kInvalidUtf8,
                                               Corruption::kNotObject};
      static constexpr Corruption kIot[] = {Corruption::kTruncated,    Corruption::kWrongType,
                                            Corruption::kMissingField, Corruption::kInvalidUtf8,
                                            Corruption::kNotObject,    Corruption::kNegativeValue,
                                            Corruption::kNullValue};
      d.corruption = family_ == EventFamily::kIot ? kIot[variant % std::size(kIot)]
                                                  : kCommon[variant % std::size(kCommon)];
    }
    return d;
  }
}

void Generator::event(int64_t index, std::string& out) const {
  if (index < 0) throw std::invalid_argument("event index must be >= 0");
  Decision d = decide(index);
  base_event(d.source_index, d.corruption, d.late, out);
}

void Generator::fill(int64_t first, int64_t count, RawBatch& out) const {
  out.clear();
  uint32_t stream = out.stream_id(stream_);
  out.records.reserve(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t i = first; i < first + count; ++i) {
    RawRecord r;
    r.begin = static_cast<uint32_t>(out.arena.size());
    event(i, out.arena);
    if (out.arena.size() > UINT32_MAX) {
      throw std::length_error("generator batch exceeds 4 GiB; use smaller counts");
    }
    r.length = static_cast<uint32_t>(out.arena.size() - r.begin);
    r.position = SourcePosition{stream, i};
    out.records.push_back(r);
  }
  out.next_offsets[stream_] = first + count;
}

void Generator::base_event(int64_t index, Corruption corruption, bool late,
                           std::string& out) const {
  const size_t start = out.size();
  const uint64_t content_seed = mix64(key_ ^ mix64(static_cast<uint64_t>(index) * 2 + 1));
  Rng rng(content_seed);
  int64_t ts_ms = spread_time_ms(spread_, options_.start_time_ms, ms_per_event_, index, rng);
  int64_t late_by_ms = 60000 + static_cast<int64_t>(rng.below(240000));
  if (late) ts_ms -= late_by_ms;
  uint64_t extra = rng.next();  // for corruptions, so the body's draws never shift

  if (family_ == EventFamily::kAccessLog) {
    // Text lines break in their own ways (access_log_lines.h).
    generate::access_log_line(rng.next(), ts_ms, corruption, out);
    return;
  }
  if (corruption == Corruption::kNotObject) {
    std::string_view lead = kNotObjects[extra % std::size(kNotObjects)];
    put(out, lead);
    put_int(out, static_cast<int64_t>((extra >> 8) % 100000));
    if (lead.starts_with('[')) out.push_back(']');
    if (lead.starts_with('"')) out.push_back('"');
    return;
  }
  switch (family_) {
    case EventFamily::kClickstream:
      clickstream(index, rng.next(), ts_ms, corruption, out);
      break;
    case EventFamily::kUserEvents:
      user_event(index, rng.next(), ts_ms, corruption, out);
      break;
    case EventFamily::kIot:
      iot(rng.next(), ts_ms, corruption, out);
      break;
    case EventFamily::kAccessLog:
      break;
  }
  if (corruption == Corruption::kTruncated) {
    size_t length = out.size() - start;  // always > 2: the event is an object
    out.resize(start + 1 + (extra >> 16) % (length - 1));
  }
}

void Generator::clickstream(int64_t index, uint64_t content_seed, int64_t ts_ms, Corruption c,
                            std::string& out) const {
  Rng rng(content_seed);
  const Tables& t = tables();
  uint64_t session = session_number(index, rng);
  size_t page = pick(rng, t.page_cdf);
  bool has_tti = rng.uniform() >= 0.05;
  double tti = std::clamp(rng.log_normal(1800, 0.55), 150.0, 20000.0);
  double ttar = std::clamp(rng.log_normal(250, 0.7), 20.0, 10000.0);
  double u_actions = rng.uniform();

  put(out, "{\"session_id\":\"");
  put_click_session_id(out, key_, session);
  if (c == Corruption::kInvalidUtf8) put(out, kInvalidUtf8);
  put(out, "\"");
  if (c != Corruption::kMissingField) {
    put(out, ",\"page_url\":\"");
    if (page < kOtherCount) {
      put(out, kOtherPages[page].path);
    } else {
      put(out, kProductPrefix);
      put(out, kProducts[page - kOtherCount].slug);
    }
    out.push_back('"');
  }
  put(out, ",\"timestamp\":\"");
  put_iso(out, ts_ms, IsoStyle::kSecondsZ);
  out.push_back('"');
  if (c == Corruption::kWrongType) {
    put(out, ",\"TTI\":\"fast\"");
  } else if (has_tti) {
    put(out, ",\"TTI\":");
    put_int(out, std::llround(tti));
  }
  put(out, ",\"TTAR\":");
  put_int(out, std::llround(ttar));
  if (u_actions < 0.05) {
    // no actions: the list is absent
  } else if (u_actions < 0.10) {
    put(out, ",\"user_actions\":[]");
  } else {
    double u = rng.uniform();
    int n = 1 + static_cast<int>(12 * u * u);  // 1..12, mostly few
    put(out, ",\"user_actions\":[");
    // Milliseconds since the page started loading, like TTI (seed 000).
    int64_t at = 200 + static_cast<int64_t>(rng.below(1500));
    for (int k = 0; k < n; ++k) {
      at += 100 + static_cast<int64_t>(rng.below(3900));
      if (k > 0) out.push_back(',');
      put(out, "{\"action\":\"");
      put(out, kActions[pick(rng, kActionCdf)]);
      put(out, "\",\"target\":\"");
      put(out, kTargets[rng.below(std::size(kTargets))]);
      put(out, "\",\"time\":");
      put_int(out, at);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
}

void Generator::user_event(int64_t index, uint64_t content_seed, int64_t ts_ms, Corruption c,
                           std::string& out) const {
  Rng rng(content_seed);
  uint64_t session = session_number(index, rng);
  uint64_t user = 1 + mix64(key_ ^ mix64(session ^ 0x05E4ULL)) % 5000;
  size_t type = pick(rng, kEventTypeCdf);
  size_t page = 1 + pick(rng, tables().page_id_cdf);

  out.push_back('{');
  if (c != Corruption::kMissingField) {
    put(out, "\"user_id\":");
    put_int(out, static_cast<int64_t>(user));
    out.push_back(',');
  }
  put(out, "\"event_type\":");
  if (c == Corruption::kWrongType) {
    put_int(out, static_cast<int64_t>(type));
  } else {
    out.push_back('"');
    put(out, kEventTypes[type]);
    out.push_back('"');
  }
  put(out, ",\"timestamp\":\"");
  put_iso(out, ts_ms, IsoStyle::kSecondsNoZone);
  put(out, "\",\"page_id\":");
  put_int(out, static_cast<int64_t>(page));
  put(out, ",\"session_id\":\"");
  put_user_session_id(out, key_, session);
  if (c == Corruption::kInvalidUtf8) put(out, kInvalidUtf8);
  put(out, "\"}");
}

void Generator::iot(uint64_t content_seed, int64_t ts_ms, Corruption c, std::string& out) const {
  Rng rng(content_seed);
  put(out, "{\"event_id\":\"");
  put_uuid_v4(out, rng);
  const uint64_t device = 1 + rng.below(kIotDevices);
  const uint64_t device_hash = mix64(device ^ 0xDE71CEULL);
  const uint64_t type = (device - 1) % 5;  // each type on 10 devices
  std::string_view device_type = kDeviceTypes[type];
  put(out, "\",\"device_id\":\"device-");
  put_padded(out, static_cast<int64_t>(device), 3);
  if (c == Corruption::kInvalidUtf8) put(out, kInvalidUtf8);
  put(out, "\",\"device_type\":\"");
  put(out, device_type);
  out.push_back('"');
  if (c != Corruption::kMissingField) {
    put(out, ",\"timestamp\":\"");
    put_iso(out, ts_ms, IsoStyle::kMillisZ);
    out.push_back('"');
  }
  double duration = std::clamp(rng.log_normal(158, 0.6), 0.0, 1000.0);
  if (c == Corruption::kNegativeValue) duration = -std::max(duration, 1.0);
  put(out, ",\"event_duration\":");
  put_fixed(out, duration, 2);

  double value = 0;
  switch (type) {
    case 0:  // temperature, degrees Celsius
      value = 21.5 + 4.0 * rng.normal();
      break;
    case 1:  // pressure, hPa
      value = 1013.25 + 8.0 * rng.normal();
      break;
    case 2:  // relative humidity, percent
      value = std::clamp(45.0 + 12.0 * rng.normal(), 5.0, 99.0);
      break;
    case 3:  // motion, acceleration in m/s^2
      value = rng.log_normal(0.5, 0.9);
      break;
    default:  // light, lux
      value = rng.log_normal(350, 0.8);
      break;
  }
  put(out, ",\"value\":");
  if (c == Corruption::kNullValue) {
    put(out, "null");
  } else if (c == Corruption::kWrongType) {
    put(out, "\"high\"");
  } else {
    put_fixed(out, value, 2);
  }
  put(out, ",\"status\":\"");
  put(out, kStatuses[pick(rng, kStatusCdf)]);
  put(out, "\",\"metadata\":{\"location\":\"");
  put(out, kZones[(device_hash >> 8) % 5]);
  put(out, "\",\"firmware\":\"v");
  put_int(out, static_cast<int64_t>(1 + (device_hash >> 16) % 3));
  out.push_back('.');
  put_int(out, static_cast<int64_t>((device_hash >> 24) % 10));
  out.push_back('.');
  put_int(out, static_cast<int64_t>((device_hash >> 32) % 20));
  put(out, "\"}}");
}

std::span<const CatalogueProduct> product_catalogue() {
  return kProducts;
}

std::string product_page_url(const CatalogueProduct& product) {
  std::string url(kProductPrefix);
  url += product.slug;
  return url;
}

namespace {
// CSV field, quoted when it holds a comma, quote or newline.
void put_csv(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char ch : field) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
}
}  // namespace

std::string product_master_csv() {
  std::string out = "page_url,ProductID,category\n";
  for (const auto& p : kProducts) {
    put_csv(out, product_page_url(p));
    out.push_back(',');
    put_csv(out, p.product_id);
    out.push_back(',');
    put_csv(out, p.category);
    out.push_back('\n');
  }
  return out;
}

std::string sales_csv(uint64_t seed) {
  static constexpr std::string_view kRegions[] = {"US", "EU", "APAC", "LATAM"};
  static constexpr double kRegionScale[] = {1.0, 0.8, 0.6, 0.25};
  std::string out = "ProductID,ProductName,Region,Revenue,UnitsSold\n";
  Rng rng(mix64(seed ^ 0x5A1E5ULL));
  for (size_t k = 0; k < kProductCount; ++k) {
    const auto& p = kProducts[k];
    double price = std::round(rng.log_normal(120, 0.9) * 100) / 100;
    for (size_t r = 0; r < std::size(kRegions); ++r) {
      int64_t units = std::max<int64_t>(
          1, std::llround(rng.log_normal(600.0 / std::sqrt(static_cast<double>(k + 1)), 0.4) *
                          kRegionScale[r]));
      put_csv(out, p.product_id);
      out.push_back(',');
      put_csv(out, p.name);
      out.push_back(',');
      put_csv(out, kRegions[r]);
      out.push_back(',');
      put_fixed(out, price * static_cast<double>(units), 2);
      out.push_back(',');
      put_int(out, units);
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace sluice
