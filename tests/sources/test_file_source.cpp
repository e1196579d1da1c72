// File source tests: inputs (file, directory, glob, stdin), line splitting
// (CRLF, empty lines, missing final newline, long lines), batch limits,
// resume from offsets and follow mode.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <tuple>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "sources/file/file_source.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "sluice-file-XXXXXX").string();
    char* made = ::mkdtemp(templ.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content, bool append = false) {
  std::ofstream f(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  f << content;
}

struct Line {
  std::string stream;
  int64_t offset;
  std::string text;
  bool operator==(const Line&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Line& l) {
  return os << l.stream << "@" << l.offset << ":" << l.text;
}

// Reads the source to its end; returns every line and the last next_offsets.
std::vector<Line> drain(FileSource& source, SourceOffsets* offsets = nullptr,
                        size_t* batches = nullptr) {
  std::vector<Line> lines;
  RawBatch batch;
  size_t count = 0;
  while (source.read(batch, 1000)) {
    ++count;
    for (const auto& r : batch.records) {
      lines.push_back(
          Line{batch.streams[r.position.stream], r.position.offset, std::string(batch.bytes(r))});
    }
    if (offsets != nullptr) {
      for (const auto& [k, v] : batch.next_offsets) (*offsets)[k] = v;
    }
  }
  if (batches != nullptr) *batches = count;
  return lines;
}

FileSourceConfig config(const std::string& path, bool follow = false) {
  FileSourceConfig c;
  c.path = path;
  c.follow = follow;
  c.follow_poll_ms = 10;
  return c;
}

TEST(FileSource, SingleFileOffsetsCrlfEmptyLinesAndNoFinalNewline) {
  TempDir dir;
  std::string path = dir.file("a.ndjson");
  write_file(path, "{\"a\":1}\r\n\n{\"b\":2}\n\r\n{\"c\":3}");
  FileSource source(config(path), {});
  SourceOffsets offsets;
  auto lines = drain(source, &offsets);
  std::string stream = "file:" + path;
  std::vector<Line> expected = {
      {stream, 0, "{\"a\":1}"}, {stream, 10, "{\"b\":2}"}, {stream, 20, "{\"c\":3}"}};
  EXPECT_EQ(lines, expected);
  EXPECT_EQ(offsets[stream], 27);
  EXPECT_EQ(source.bytes_read(), 27);
  EXPECT_EQ(source.files_opened(), 1);
}

TEST(FileSource, LinesCarryTheirLineNumberAlsoAfterResume) {
  TempDir dir;
  std::string path = dir.file("a.log");
  write_file(path, "one\r\n\nthree\nfour\n\nsix");
  auto numbers = [&](const SourceOffsets& resume) {
    FileSource source(config(path), resume);
    std::vector<std::pair<int64_t, std::string>> out;
    RawBatch batch;
    while (source.read(batch, 1000)) {
      for (const auto& r : batch.records) out.emplace_back(r.line, std::string(batch.bytes(r)));
    }
    return out;
  };
  using Numbered = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(numbers({}), (Numbered{{1, "one"}, {3, "three"}, {4, "four"}, {6, "six"}}));
  // Resuming at "four" (byte 12) still counts the lines before it.
  EXPECT_EQ(numbers({{"file:" + path, 12}}), (Numbered{{4, "four"}, {6, "six"}}));
}

TEST(FileSource, RelativePathBecomesAbsoluteStream) {
  TempDir dir;
  write_file(dir.file("rel.log"), "x\n");
  auto cwd = fs::current_path();
  fs::current_path(dir.path());
  FileSource source(config("./rel.log"), {});
  fs::current_path(cwd);
  auto lines = drain(source);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].stream, "file:" + dir.file("rel.log"));
}

TEST(FileSource, DirectoryReadsVisibleRegularFilesInOrder) {
  TempDir dir;
  write_file(dir.file("b.json"), "b1\nb2\n");
  write_file(dir.file("a.json"), "a1\n");
  write_file(dir.file(".hidden"), "h\n");
  fs::create_directory(dir.file("sub"));
  write_file(dir.file("sub/c.json"), "c\n");
  FileSource source(config(dir.path()), {});
  auto lines = drain(source);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], (Line{"file:" + dir.file("a.json"), 0, "a1"}));
  EXPECT_EQ(lines[1], (Line{"file:" + dir.file("b.json"), 0, "b1"}));
  EXPECT_EQ(lines[2], (Line{"file:" + dir.file("b.json"), 3, "b2"}));
}

TEST(FileSource, GlobMatchesOnlyPattern) {
  TempDir dir;
  write_file(dir.file("x-2.log"), "two\n");
  write_file(dir.file("x-1.log"), "one\n");
  write_file(dir.file("y.log"), "other\n");
  FileSource source(config(dir.path() + "/x-*.log"), {});
  auto lines = drain(source);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "one");
  EXPECT_EQ(lines[1].text, "two");
  EXPECT_EQ(source.files_opened(), 2);
}

TEST(FileSource, MissingInputsAreErrors) {
  TempDir dir;
  EXPECT_THROW(FileSource(config(dir.file("nope.json")), {}), RuntimeError);
  EXPECT_THROW(FileSource(config(dir.path() + "/*.none"), {}), RuntimeError);
}

TEST(FileSource, BatchLimitsSplitWithoutLosingLines) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 1000; ++i) content += "line-" + std::to_string(i) + "\n";
  write_file(dir.file("f"), content);
  FileSource source(config(dir.file("f")), {}, 64, 1 << 20);
  size_t batches = 0;
  auto lines = drain(source, nullptr, &batches);
  ASSERT_EQ(lines.size(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(lines[static_cast<size_t>(i)].text, "line-" + std::to_string(i));
  EXPECT_GE(batches, 1000u / 64);

  // Byte limit: 100-byte lines, 250-byte batches -> 2 lines per batch.
  std::string wide;
  for (int i = 0; i < 10; ++i) wide += std::string(99, static_cast<char>('a' + i)) + "\n";
  write_file(dir.file("w"), wide);
  FileSource by_bytes(config(dir.file("w")), {}, 1000, 250);
  RawBatch batch;
  ASSERT_TRUE(by_bytes.read(batch, 100));
  EXPECT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.next_offsets["file:" + dir.file("w")], 200);
}

TEST(FileSource, LineLongerThanBufferAndBatchComesThroughWhole) {
  TempDir dir;
  std::string big(5 * 1024 * 1024 + 17, 'x');  // larger than the 1 MiB read chunk
  write_file(dir.file("big"), "small\n" + big + "\r\nafter\n");
  FileSource source(config(dir.file("big")), {}, 100, 1 << 20);
  RawBatch batch;
  std::vector<Line> lines;
  std::vector<size_t> batch_sizes;
  while (source.read(batch, 100)) {
    batch_sizes.push_back(batch.records.size());
    for (const auto& r : batch.records) {
      lines.push_back(
          Line{batch.streams[r.position.stream], r.position.offset, std::string(batch.bytes(r))});
    }
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "small");
  EXPECT_EQ(lines[1].text.size(), big.size());
  EXPECT_EQ(lines[1].text, big);
  EXPECT_EQ(lines[1].offset, 6);
  EXPECT_EQ(lines[2].text, "after");
  EXPECT_EQ(lines[2].offset, static_cast<int64_t>(6 + big.size() + 2));
  // The oversized line is alone in its batch.
  EXPECT_EQ(batch_sizes, (std::vector<size_t>{1, 1, 1}));
}

TEST(FileSource, ResumeNeitherRereadsNorSkips) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 500; ++i) content += "{\"n\":" + std::to_string(i) + "}\n";
  write_file(dir.file("a"), content);
  write_file(dir.file("b"), content);
  // First run: stop after a few batches, as if the process died after a commit.
  SourceOffsets committed;
  std::vector<std::string> seen;
  {
    FileSource source(config(dir.path()), {}, 70, 1 << 20);
    RawBatch batch;
    for (int i = 0; i < 9; ++i) {  // 630 records: into the second file
      ASSERT_TRUE(source.read(batch, 100));
      for (const auto& r : batch.records) seen.emplace_back(batch.bytes(r));
      for (const auto& [k, v] : batch.next_offsets) committed[k] = v;
    }
  }
  ASSERT_EQ(seen.size(), 630u);
  EXPECT_EQ(committed["file:" + dir.file("a")], static_cast<int64_t>(content.size()));
  FileSource resumed(config(dir.path()), committed, 70, 1 << 20);
  auto rest = drain(resumed);
  for (const auto& l : rest) seen.push_back(l.text);
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(seen[static_cast<size_t>(i)], "{\"n\":" + std::to_string(i % 500) + "}");
  }
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest[0].stream, "file:" + dir.file("b"));
  EXPECT_EQ(rest[0].offset, committed["file:" + dir.file("b")]);
  // The resumed run read only the unread part.
  EXPECT_EQ(resumed.bytes_read(),
            static_cast<int64_t>(content.size()) - committed["file:" + dir.file("b")]);
}

TEST(FileSource, FollowPicksUpAppendedLinesAndNewFiles) {
  TempDir dir;
  write_file(dir.file("1.log"), "first\npartial");
  FileSource source(config(dir.path() + "/*.log", true), {});
  RawBatch batch;
  ASSERT_TRUE(source.read(batch, 50));
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.bytes(batch.records[0]), "first");
  // No complete line yet: the partial line waits for its newline.
  ASSERT_TRUE(source.read(batch, 30));
  EXPECT_EQ(batch.records.size(), 0u);
  write_file(dir.file("1.log"), " line\nsecond\n", true);
  write_file(dir.file("2.log"), "new file\n");
  std::vector<std::string> got;
  for (int i = 0; i < 100 && got.size() < 3; ++i) {
    ASSERT_TRUE(source.read(batch, 50));
    for (const auto& r : batch.records) got.emplace_back(batch.bytes(r));
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "partial line");
  EXPECT_EQ(got[1], "second");
  EXPECT_EQ(got[2], "new file");
}

TEST(FileSource, FollowRestartsATruncatedFile) {
  TempDir dir;
  write_file(dir.file("t.log"), "old line one\nold line two\n");
  FileSource source(config(dir.file("t.log"), true), {});
  RawBatch batch;
  ASSERT_TRUE(source.read(batch, 20));
  ASSERT_EQ(batch.records.size(), 2u);
  write_file(dir.file("t.log"), "new\n");  // copytruncate-style rotation
  std::vector<Line> got;
  for (int i = 0; i < 100 && got.empty(); ++i) {
    ASSERT_TRUE(source.read(batch, 50));
    for (const auto& r : batch.records) {
      got.push_back(
          Line{batch.streams[r.position.stream], r.position.offset, std::string(batch.bytes(r))});
    }
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "new");
  EXPECT_EQ(got[0].offset, 0);
  EXPECT_EQ(batch.next_offsets["file:" + dir.file("t.log")], 4);
}

// Reads in follow mode until `want` lines came (or `polls` polls): offset,
// line number and text of each.
std::vector<std::tuple<int64_t, int64_t, std::string>> follow_until(FileSource& source, size_t want,
                                                                    int polls = 200) {
  std::vector<std::tuple<int64_t, int64_t, std::string>> got;
  RawBatch batch;
  for (int i = 0; i < polls && got.size() < want; ++i) {
    EXPECT_TRUE(source.read(batch, 20));
    for (const auto& r : batch.records) {
      got.emplace_back(r.position.offset, r.line, std::string(batch.bytes(r)));
    }
  }
  return got;
}

TEST(FileSource, FollowFinishesARenamedFileThenReadsTheNewOne) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  write_file(path, "a1\na2\n");
  // The glob also matches the rotated name: it must not be read twice.
  FileSource source(config(dir.path() + "/access.log*", true), {});
  EXPECT_EQ(follow_until(source, 2).size(), 2u);
  // logrotate: rename, the writer still appends to the old file (its last
  // line without a newline), then reopens the path.
  std::filesystem::rename(path, dir.file("access.log.1"));
  write_file(dir.file("access.log.1"), "a3\na4", true);
  write_file(path, "b1\nb2\n");
  auto got = follow_until(source, 4);
  using Numbered = std::vector<std::tuple<int64_t, int64_t, std::string>>;
  EXPECT_EQ(got, (Numbered{{6, 3, "a3"}, {9, 4, "a4"}, {0, 1, "b1"}, {3, 2, "b2"}}));
  // Nothing more: access.log.1 is the file already read.
  write_file(path, "b3\n", true);
  got = follow_until(source, 1);
  EXPECT_EQ(got, (Numbered{{6, 3, "b3"}}));
  EXPECT_TRUE(follow_until(source, 1, 5).empty());
}

TEST(FileSource, FollowKeepsReadingWhileTheRotatedPathIsMissing) {
  TempDir dir;
  const std::string path = dir.file("app.log");
  write_file(path, "x1\n");
  FileSource source(config(path, true), {});
  EXPECT_EQ(follow_until(source, 1).size(), 1u);
  std::filesystem::rename(path, dir.file("app.log.old"));
  write_file(dir.file("app.log.old"), "x2\n", true);  // still written before the reopen
  auto got = follow_until(source, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<2>(got[0]), "x2");
  write_file(path, "y1\n");
  got = follow_until(source, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], std::make_tuple(int64_t{0}, int64_t{1}, std::string("y1")));
}

TEST(FileSource, FollowWaitsForAFileThatDoesNotExistYet) {
  TempDir dir;
  FileSource source(config(dir.file("later.log"), true), {});
  RawBatch batch;
  EXPECT_TRUE(source.read(batch, 20));
  EXPECT_EQ(batch.records.size(), 0u);
  write_file(dir.file("later.log"), "hello\n");
  std::vector<std::string> got;
  for (int i = 0; i < 100 && got.empty(); ++i) {
    ASSERT_TRUE(source.read(batch, 50));
    for (const auto& r : batch.records) got.emplace_back(batch.bytes(r));
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "hello");
}

TEST(FileSource, StdinThroughAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  FileSource source(config("-"), {}, 8192, 8 << 20, fds[0]);
  RawBatch batch;
  // Nothing written yet: returns after the timeout with no records.
  ASSERT_TRUE(source.read(batch, 10));
  EXPECT_EQ(batch.records.size(), 0u);
  std::string data = "one\r\ntwo\nthree";
  std::thread writer([&] {
    ASSERT_EQ(::write(fds[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::close(fds[1]);
  });
  std::vector<Line> lines;
  while (source.read(batch, 1000)) {
    for (const auto& r : batch.records) {
      lines.push_back(
          Line{batch.streams[r.position.stream], r.position.offset, std::string(batch.bytes(r))});
    }
  }
  writer.join();
  ::close(fds[0]);
  std::vector<Line> expected = {{"stdin", 0, "one"}, {"stdin", 5, "two"}, {"stdin", 9, "three"}};
  EXPECT_EQ(lines, expected);
  EXPECT_FALSE(source.read(batch, 10));
}

}  // namespace
}  // namespace sluice
