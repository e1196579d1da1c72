// The parse limit: simdjson On Demand over NDJSON bytes already in memory,
// touching every field (strings unescaped, numbers converted), nothing else.
// Single-threaded.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

using simdjson::ondemand::json_type;

struct Sink {
  size_t fields = 0;
  size_t string_bytes = 0;
  double number_sum = 0;
};

simdjson::error_code touch(simdjson::ondemand::value v, Sink& sink);

simdjson::error_code touch_object(simdjson::ondemand::object obj, Sink& sink) {
  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    sink.string_bytes += key.size();
    ++sink.fields;
    if (auto err = touch(field.value(), sink)) return err;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code touch(simdjson::ondemand::value v, Sink& sink) {
  json_type type;
  if (auto err = v.type().get(type)) return err;
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object obj;
      if (auto err = v.get_object().get(obj)) return err;
      return touch_object(obj, sink);
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if (auto err = v.get_array().get(arr)) return err;
      for (auto element : arr) {
        simdjson::ondemand::value ev;
        if (auto err = element.get(ev)) return err;
        if (auto err = touch(ev, sink)) return err;
      }
      return simdjson::SUCCESS;
    }
    case json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return err;
      sink.string_bytes += s.size();
      return simdjson::SUCCESS;
    }
    case json_type::number: {
      double d;
      if (auto err = v.get_double().get(d)) return err;
      sink.number_sum += d;
      return simdjson::SUCCESS;
    }
    case json_type::boolean: {
      bool b;
      if (auto err = v.get_bool().get(b)) return err;
      sink.number_sum += b;
      return simdjson::SUCCESS;
    }
    case json_type::null:
      return v.is_null() ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
  }
  return simdjson::SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: parse_limit FILE.ndjson [RUNS]\n");
    return 2;
  }
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  simdjson::padded_string bytes;
  if (auto err = simdjson::padded_string::load(argv[1]).get(bytes)) {
    std::fprintf(stderr, "parse_limit: %s: %s\n", argv[1], simdjson::error_message(err));
    return 1;
  }
  simdjson::ondemand::parser parser;
  std::vector<double> times;
  size_t docs = 0;
  Sink sink;
  for (int r = 0; r < runs; ++r) {
    sink = Sink{};
    docs = 0;
    const auto t0 = std::chrono::steady_clock::now();
    simdjson::ondemand::document_stream stream;
    if (auto err = parser.iterate_many(bytes, 4 << 20).get(stream)) {
      std::fprintf(stderr, "parse_limit: %s\n", simdjson::error_message(err));
      return 1;
    }
    for (auto doc : stream) {
      simdjson::ondemand::object obj;
      if (auto err = doc.get_object().get(obj)) {
        std::fprintf(stderr, "parse_limit: document %zu: %s\n", docs, simdjson::error_message(err));
        return 1;
      }
      if (auto err = touch_object(obj, sink)) {
        std::fprintf(stderr, "parse_limit: document %zu: %s\n", docs, simdjson::error_message(err));
        return 1;
      }
      ++docs;
    }
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  std::printf("parse_seconds=%.4f events=%zu bytes=%zu fields=%zu checksum=%.1f\n",
              times[times.size() / 2], docs, bytes.size(), sink.fields,
              sink.number_sum + static_cast<double>(sink.string_bytes));
  return 0;
}
