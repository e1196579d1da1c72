// Upload/download timing of sluice's S3 storage (src/storage) for
// bench/s3.sh: `s3_bench put|get BUCKET KEY FILE` with the AWS_* environment
// (AWS_ENDPOINT_URL, keys). Prints "<op> <bytes> <seconds> <MB/s>".
#include <sys/stat.h>
#include <chrono>
#include <cstdio>
#include <string>

#include "storage/location.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: s3_bench put|get BUCKET KEY FILE\n");
    return 2;
  }
  const std::string op = argv[1];
  try {
    auto s = sluice::storage::open_storage(std::string("s3://") + argv[2], {});
    auto start = std::chrono::steady_clock::now();
    if (op == "put") {
      s->put_file(argv[3], argv[4]);
    } else {
      s->get_to_file(argv[3], argv[4]);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    struct stat st;
    stat(argv[4], &st);
    std::printf("%s %lld %.3f %.1f\n", op.c_str(), static_cast<long long>(st.st_size), secs,
                st.st_size / secs / 1e6);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
