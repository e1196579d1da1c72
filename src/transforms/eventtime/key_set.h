// A compact set of byte-string keys for dedupe state: keys live in a chunked
// arena (16-byte header with a caller stamp + bytes, no allocation per key), indexed by an
// open-addressing hash table of 16-byte slots (linear probing, backward-shift
// erase). About 100 bytes per key of 40 bytes, a third less than a node-based
// unordered_map of strings, and no allocator traffic per key. Keys are erased
// roughly in insertion order (by event time), so arena chunks empty out
// front to back and are freed whole.
//
// Threading: single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

namespace sluice {

class KeySet {
 public:
  // A stored key; stable until erased.
  struct Key;

  KeySet();
  ~KeySet();
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;

  // Inserts `key` with `stamp` if absent. Returns the stored key and whether
  // it was new (an existing key keeps its stamp).
  std::pair<const Key*, bool> insert(std::string_view key, int64_t stamp = 0);
  // The value stored with a key (the deduper keeps an event time there).
  static int64_t stamp(const Key* key);
  static void set_stamp(const Key* key, int64_t stamp);
  // Removes a key returned by insert().
  void erase(const Key* key);
  bool contains(std::string_view key) const;
  size_t size() const { return size_; }
  // Bytes held by the arena chunks (for tests and stats).
  size_t arena_bytes() const;

 private:
  struct Slot {
    uint64_t hash = 0;
    Key* key = nullptr;  // nullptr: empty
  };
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t used = 0;
    size_t capacity = 0;
    size_t live = 0;
  };

  size_t find_slot(std::string_view key, uint64_t hash) const;  // slot of key or the empty one
  void grow();
  Key* store(std::string_view key);
  void release(Key* key);

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  std::deque<Chunk> chunks_;
  uint32_t first_chunk_ = 0;  // sequence number of chunks_.front()
};

}  // namespace sluice
