// `sluice generate`: events of one family to a file, stdout or a Kafka topic.
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "config/loader.h"
#include "core/error.h"
#include "core/time.h"
#include "sources/generate/generator.h"
#include "sources/kafka/kafka_producer.h"

namespace sluice::cli {

namespace {

// Reference CSVs for the clickstream gold job (sales_gold).
int write_reference_csv(const GenerateArgs& a) {
  std::string text = a.family == "sales-csv" ? sales_csv(a.seed) : product_master_csv();
  FILE* out = a.output == "-" ? stdout : std::fopen(a.output.c_str(), "wb");
  if (!out) throw RuntimeError("generate: cannot open " + a.output);
  bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  ok = (out == stdout ? std::fflush(out) : std::fclose(out)) == 0 && ok;
  if (!ok) throw RuntimeError("generate: cannot write " + a.output);
  return kExitOk;
}

}  // namespace

int generate_command(const GenerateArgs& a, const std::atomic<bool>& stop) {
  if (a.family == "sales-csv" || a.family == "product-master") return write_reference_csv(a);
  GeneratorOptions o;
  o.family = a.family;
  o.seed = a.seed;
  o.duplicates_pct = a.duplicates.value_or(default_duplicates_pct(a.family));
  o.malformed_pct = a.malformed.value_or(default_malformed_pct(a.family));
  o.late_pct = a.late;
  if (!a.spread.empty()) {
    o.spread = parse_time_spread(a.spread);
    if (!o.spread) throw CLI::ValidationError("--spread", "expected single, live or backfill:H");
  }
  Generator gen(o);

  std::unique_ptr<KafkaProducer> producer;
  std::string topic;
  FILE* out = nullptr;
  bool close_out = false;
  if (a.output.rfind("kafka://", 0) == 0) {
    std::string rest = a.output.substr(8);
    size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
      throw CLI::ValidationError("--output", "expected kafka://BROKERS/TOPIC");
    }
    producer = std::make_unique<KafkaProducer>(rest.substr(0, slash),
                                               std::map<std::string, std::string>{});
    topic = rest.substr(slash + 1);
  } else if (a.output == "-") {
    out = stdout;
  } else {
    out = std::fopen(a.output.c_str(), "wb");
    if (!out) throw RuntimeError("cannot open " + a.output + " for writing");
    close_out = true;
  }

  const int64_t started = monotonic_millis();
  int64_t last_progress = started;
  std::string line;
  int64_t written = 0;
  for (int64_t i = a.start; i < a.start + a.count && !stop.load(); ++i) {
    if (a.rate > 0) {
      int64_t due = static_cast<int64_t>((monotonic_millis() - started) * a.rate / 1000.0);
      while (written >= due && !stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        due = static_cast<int64_t>((monotonic_millis() - started) * a.rate / 1000.0);
      }
    }
    line.clear();
    gen.event(i, line);
    if (producer) {
      producer->produce(topic, line);
    } else {
      line.push_back('\n');
      if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) {
        throw RuntimeError("write failed: " + a.output);
      }
    }
    ++written;
    int64_t now = monotonic_millis();
    if (out != stdout && now - last_progress > 1000) {
      last_progress = now;
      std::fprintf(stderr, "[sluice] generated %lld/%lld\n", static_cast<long long>(written),
                   static_cast<long long>(a.count));
    }
  }
  if (producer) {
    producer->flush(60000);
    if (producer->failed() > 0) {
      throw RuntimeError("kafka delivery failed for " + std::to_string(producer->failed()) +
                         " events");
    }
  }
  if (close_out && std::fclose(out) != 0) throw RuntimeError("close failed: " + a.output);
  if (out == stdout) std::fflush(stdout);
  if (out != stdout) {
    std::fprintf(stderr, "[sluice] generated %lld %s events to %s\n",
                 static_cast<long long>(written), a.family.c_str(), a.output.c_str());
  }
  return kExitOk;
}

}  // namespace sluice::cli
