#include "transforms/eventtime/key_set.h"

#include <cstring>
#include <functional>

namespace sluice {

struct KeySet::Key {
  uint32_t length;
  uint32_t chunk;  // sequence number of the arena chunk holding it
  int64_t stamp;   // the caller's value (dedupe: event time of the sighting it keeps)
  // followed by `length` bytes
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view view() const { return {bytes(), length}; }
};

namespace {

constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kInitialSlots = 1024;

uint64_t hash_of(std::string_view key) {
  return std::hash<std::string_view>{}(key);
}

size_t entry_bytes(size_t length) {
  return (sizeof(KeySet::Key) + length + 7) & ~size_t{7};
}

}  // namespace

KeySet::KeySet() : slots_(kInitialSlots), mask_(kInitialSlots - 1) {}
KeySet::~KeySet() = default;

size_t KeySet::find_slot(std::string_view key, uint64_t hash) const {
  size_t i = hash & mask_;
  while (slots_[i].key != nullptr) {
    const Slot& s = slots_[i];
    if (s.hash == hash && s.key->view() == key) return i;
    i = (i + 1) & mask_;
  }
  return i;
}

bool KeySet::contains(std::string_view key) const {
  return slots_[find_slot(key, hash_of(key))].key != nullptr;
}

std::pair<const KeySet::Key*, bool> KeySet::insert(std::string_view key, int64_t stamp) {
  const uint64_t hash = hash_of(key);
  size_t i = find_slot(key, hash);
  if (slots_[i].key != nullptr) return {slots_[i].key, false};
  if ((size_ + 1) * 10 > slots_.size() * 7) {  // keep the load under 0.7
    grow();
    i = find_slot(key, hash);
  }
  Key* stored = store(key);
  stored->stamp = stamp;
  slots_[i] = Slot{hash, stored};
  ++size_;
  return {stored, true};
}

int64_t KeySet::stamp(const Key* key) {
  return key->stamp;
}

void KeySet::set_stamp(const Key* key, int64_t stamp) {
  const_cast<Key*>(key)->stamp = stamp;
}

void KeySet::erase(const Key* key) {
  const uint64_t hash = hash_of(key->view());
  size_t i = hash & mask_;
  while (slots_[i].key != key) {
    if (slots_[i].key == nullptr) return;  // not stored (cannot happen for insert()'s keys)
    i = (i + 1) & mask_;
  }
  // Backward-shift deletion: move later members of the probe run into the
  // hole when their home slot is not between the hole and them.
  size_t hole = i;
  for (size_t j = (hole + 1) & mask_; slots_[j].key != nullptr; j = (j + 1) & mask_) {
    const size_t home = slots_[j].hash & mask_;
    const bool home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_in_range) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
  release(const_cast<Key*>(key));
}

void KeySet::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.key == nullptr) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].key != nullptr) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

KeySet::Key* KeySet::store(std::string_view key) {
  const size_t need = entry_bytes(key.size());
  if (chunks_.empty() || chunks_.back().capacity - chunks_.back().used < need) {
    Chunk c;
    c.capacity = std::max(kChunkBytes, need);
    c.data = std::make_unique<char[]>(c.capacity);
    chunks_.push_back(std::move(c));
  }
  Chunk& c = chunks_.back();
  auto* k = reinterpret_cast<Key*>(c.data.get() + c.used);
  k->length = static_cast<uint32_t>(key.size());
  k->chunk = first_chunk_ + static_cast<uint32_t>(chunks_.size() - 1);
  if (!key.empty()) std::memcpy(k + 1, key.data(), key.size());
  c.used += need;
  c.live++;
  return k;
}

void KeySet::release(Key* key) {
  Chunk& c = chunks_[key->chunk - first_chunk_];
  if (--c.live == 0 && &c != &chunks_.back()) c.data.reset();  // empty: free it now
  while (chunks_.size() > 1 && chunks_.front().live == 0) {
    chunks_.pop_front();
    ++first_chunk_;
  }
}

size_t KeySet::arena_bytes() const {
  size_t bytes = 0;
  for (const Chunk& c : chunks_) bytes += c.data ? c.capacity : 0;
  return bytes;
}

}  // namespace sluice
