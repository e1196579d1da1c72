#include "formats/parquet/column_writer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/error.h"
#include "formats/parquet/encoding.h"

namespace sluice::parquet {

static_assert(std::endian::native == std::endian::little,
              "PLAIN values are copied as they lie in memory: little-endian hosts only");

namespace {

// Rows per page stay below the header's int32 num_values.
constexpr size_t kMaxPageRows = static_cast<size_t>(std::numeric_limits<int32_t>::max());
// Larger page or dictionary limits are clamped so that pages of many values
// always fit the header's int32 sizes; only one value above 2 GB can still
// overflow them, which PageSink refuses with an error.
constexpr size_t kMaxPageBytes =
    static_cast<size_t>(std::numeric_limits<int32_t>::max()) - (1 << 20);

template <typename T>
std::string plain_bytes(T v) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

// Gathers the non-null fixed-width values of rows [begin, end) into `out`.
template <typename T>
void gather_fixed(const Column& column, size_t begin, size_t end, size_t nulls, RawArray<T>& out) {
  const size_t at = out.size();
  const size_t n = end - begin;
  out.resize(at + n - nulls);
  T* dst = out.data() + at;
  const uint8_t* src = column.fixed_data() + begin * sizeof(T);
  if (nulls == 0) {
    std::memcpy(dst, src, n * sizeof(T));
    return;
  }
  const uint8_t* valid = column.validity() + begin;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    if (valid[i]) std::memcpy(dst + k++, src + i * sizeof(T), sizeof(T));
  }
}

// Statistics bounds of long strings: a prefix for the minimum; for the maximum a
// prefix whose last ASCII byte below 0x7F is incremented. Both stay valid UTF-8
// (cuts fall on character boundaries) and remain bounds of the column's values.
void set_string_bounds(std::string_view min, std::string_view max, size_t limit, Statistics& s) {
  if (min.size() <= limit) {
    s.min_value = std::string(min);
  } else {
    size_t cut = limit;
    while (cut > 0 && (static_cast<uint8_t>(min[cut]) & 0xC0) == 0x80) --cut;
    s.min_value = std::string(min.substr(0, cut));
    s.min_exact = false;
  }
  s.max_value = std::string(max);
  if (max.size() > limit) {
    for (size_t i = std::min(limit, max.size()); i-- > 0;) {
      const uint8_t b = static_cast<uint8_t>(max[i]);
      if (b < 0x7F) {
        std::string bound(max.substr(0, i));
        bound.push_back(static_cast<char>(b + 1));
        s.max_value = std::move(bound);
        s.max_exact = false;
        break;
      }
    }
  }
}

}  // namespace

void ColumnWriter::gather(std::span<const Slice> slices, size_t index) {
  levels_.clear();
  values32_.clear();
  values64_.clear();
  bools_.clear();
  strings_.clear();
  null_count_ = 0;
  size_t total = 0;
  for (const Slice& slice : slices) total += slice.end - slice.begin;
  levels_.reserve(total);
  switch (spec_->type) {
    case ColumnType::kInt32:
      values32_.reserve(total);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
    case ColumnType::kDouble:
      values64_.reserve(total);
      break;
    case ColumnType::kBool:
      bools_.reserve(total);
      break;
    case ColumnType::kString:
      break;  // gather_strings() reserves, if the chunk goes PLAIN
  }
  for (const Slice& slice : slices) {
    const Column& column = slice.batch->columns[index];
    const size_t n = slice.end - slice.begin;
    if (n == 0) continue;
    const uint8_t* valid = column.validity() + slice.begin;
    const size_t at = levels_.size();
    levels_.resize(at + n);
    uint8_t* levels = levels_.data() + at;
    size_t present = 0;
    for (size_t i = 0; i < n; ++i) present += valid[i] != 0;
    if (present == n) {
      std::memset(levels, 1, n);
    } else {
      for (size_t i = 0; i < n; ++i) levels[i] = valid[i] != 0;
    }
    const size_t nulls = n - present;
    null_count_ += nulls;
    switch (spec_->type) {
      case ColumnType::kInt32:
        gather_fixed(column, slice.begin, slice.end, nulls, values32_);
        break;
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
      case ColumnType::kDouble:
        gather_fixed(column, slice.begin, slice.end, nulls, values64_);
        break;
      case ColumnType::kBool:
        gather_fixed(column, slice.begin, slice.end, nulls, bools_);
        for (size_t i = bools_.size() - present; i < bools_.size(); ++i) bools_[i] = bools_[i] != 0;
        break;
      case ColumnType::kString:
        break;  // views only if the chunk goes PLAIN (gather_strings)
    }
  }
}

// The non-null strings of the chunk as views into the slices' batches.
void ColumnWriter::gather_strings() {
  strings_.clear();
  strings_.reserve(levels_.size() - null_count_);
  for (const Slice& slice : slices_) {
    const Column& column = slice.batch->columns[column_index_];
    const size_t n = slice.end - slice.begin;
    const uint8_t* valid = column.validity() + slice.begin;
    const uint32_t* offsets = column.offsets_data() + slice.begin;
    const char* chars = column.chars_data();
    size_t k = strings_.size();
    strings_.resize(k + n);  // at most n; trimmed below
    std::string_view* dst = strings_.data();
    for (size_t i = 0; i < n; ++i) {
      dst[k] = std::string_view(chars + offsets[i], offsets[i + 1] - offsets[i]);
      k += valid[i] != 0;
    }
    strings_.resize(k);
  }
}

size_t ColumnWriter::dictionary_size() const {
  if (spec_->type == ColumnType::kString) return dict_strings_.size();
  if (spec_->type == ColumnType::kInt32) return dict32_.size();
  return dict64_.size();
}

// Builds the chunk's dictionary and its index per value; kPlain as soon as the
// dictionary's PLAIN size passes the limit or it holds more entries than the
// repeat ratio allows (the rest is then not hashed).
ColumnWriter::Mode ColumnWriter::build_dictionary() {
  const size_t limit = std::min(options_->dictionary_page_bytes, kMaxPageBytes);
  const size_t present = levels_.size() - null_count_;
  if (spec_->type == ColumnType::kBool || present == 0) return Mode::kPlain;
  indices_.resize(present);
  uint32_t* idx = indices_.data();
  const size_t repeats = std::max<size_t>(1, options_->dictionary_min_repeats);
  const size_t max_distinct = std::max<size_t>(1, present / repeats);
  // Distinct values grow slower than values, so a prefix that already repeats
  // too little predicts the chunk: decide there instead of hashing everything.
  const size_t probe = std::min(present, std::max<size_t>(4096, present / 8));
  auto sparse = [&](size_t i, size_t distinct) { return i == probe && distinct * repeats > probe; };
  if (spec_->type == ColumnType::kString) {
    dict_strings_.reset();
    size_t k = 0;  // non-null values so far
    std::string_view prev;
    for (const Slice& slice : slices_) {
      const Column& column = slice.batch->columns[column_index_];
      const uint8_t* valid = column.validity() + slice.begin;
      const uint32_t* offsets = column.offsets_data() + slice.begin;
      const char* chars = column.chars_data();
      const size_t n = slice.end - slice.begin;
      for (size_t i = 0; i < n; ++i) {
        if (!valid[i]) continue;
        if (sparse(k, dict_strings_.size())) return Mode::kPlain;
        const std::string_view v(chars + offsets[i], offsets[i + 1] - offsets[i]);
        // Neighbouring rows often repeat a value (the rows of one flattened
        // event): reuse the previous index without hashing.
        if (k > 0 && v.size() == prev.size() && same_bytes(v.data(), prev.data(), v.size())) {
          idx[k] = idx[k - 1];
          ++k;
          continue;
        }
        idx[k++] = dict_strings_.insert(v);
        prev = v;
        if (dict_strings_.plain_bytes() > limit || dict_strings_.size() > max_distinct) {
          return Mode::kPlain;
        }
      }
    }
  } else if (spec_->type == ColumnType::kInt32) {
    dict32_.reset();
    const size_t max_entries = std::min(max_distinct, limit / sizeof(uint32_t));
    for (size_t i = 0; i < present; ++i) {
      if (sparse(i, dict32_.size())) return Mode::kPlain;
      if (i > 0 && values32_[i] == values32_[i - 1]) {
        idx[i] = idx[i - 1];
        continue;
      }
      idx[i] = dict32_.insert(values32_[i]);
      if (dict32_.size() > max_entries) return Mode::kPlain;
    }
  } else {
    dict64_.reset();
    const size_t max_entries = std::min(max_distinct, limit / sizeof(uint64_t));
    for (size_t i = 0; i < present; ++i) {
      if (sparse(i, dict64_.size())) return Mode::kPlain;
      if (i > 0 && values64_[i] == values64_[i - 1]) {
        idx[i] = idx[i - 1];
        continue;
      }
      idx[i] = dict64_.insert(values64_[i]);
      if (dict64_.size() > max_entries) return Mode::kPlain;
    }
  }
  if (dictionary_size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return Mode::kPlain;
  index_width_ = bit_width_for(dictionary_size() - 1);
  return Mode::kDictionary;
}

// Min/max over the distinct values (the dictionary) or over all values (PLAIN).
void ColumnWriter::compute_statistics(Mode mode, Statistics& s) const {
  s.null_count = static_cast<int64_t>(null_count_);
  const bool dict = mode == Mode::kDictionary;
  switch (spec_->type) {
    case ColumnType::kInt32: {
      const std::span<const uint32_t> v =
          dict ? std::span<const uint32_t>(dict32_.values()) : values32_;
      if (v.empty()) return;
      int32_t lo = std::numeric_limits<int32_t>::max(), hi = std::numeric_limits<int32_t>::min();
      for (uint32_t bits : v) {
        const int32_t x = static_cast<int32_t>(bits);
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      s.min_value = plain_bytes(lo);
      s.max_value = plain_bytes(hi);
      return;
    }
    case ColumnType::kInt64:
    case ColumnType::kTimestamp: {
      const std::span<const uint64_t> v =
          dict ? std::span<const uint64_t>(dict64_.values()) : values64_;
      if (v.empty()) return;
      int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
      for (uint64_t bits : v) {
        const int64_t x = static_cast<int64_t>(bits);
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      s.min_value = plain_bytes(lo);
      s.max_value = plain_bytes(hi);
      return;
    }
    case ColumnType::kDouble: {
      // TYPE_ORDER rules: nan_count always, min/max from non-NaN values only,
      // none if all values are NaN, a zero min written as -0.0 and a zero max as +0.0.
      const std::span<const uint64_t> v =
          dict ? std::span<const uint64_t>(dict64_.values()) : values64_;
      int64_t nans = 0;
      bool any = false;
      double lo = 0, hi = 0;
      for (uint64_t bits : v) {
        const double x = std::bit_cast<double>(bits);
        if (std::isnan(x)) {
          ++nans;
          continue;
        }
        if (!any) {
          lo = hi = x;
          any = true;
        } else {
          lo = std::min(lo, x);
          hi = std::max(hi, x);
        }
      }
      // With a dictionary, NaNs with different payloads are distinct entries;
      // the count of NaN values needs the indices.
      if (dict && nans > 0) {
        nans = 0;
        const std::vector<uint64_t>& entries = dict64_.values();
        for (size_t i = 0; i < indices_.size(); ++i)
          nans += std::isnan(std::bit_cast<double>(entries[indices_[i]]));
      }
      s.nan_count = nans;
      if (!any) return;
      if (lo == 0) lo = -0.0;
      if (hi == 0) hi = 0.0;
      s.min_value = plain_bytes(lo);
      s.max_value = plain_bytes(hi);
      return;
    }
    case ColumnType::kBool: {
      if (bools_.empty()) return;
      uint8_t lo = 1, hi = 0;
      for (uint8_t b : bools_) {
        lo &= b;
        hi |= b;
      }
      s.min_value = std::string(1, static_cast<char>(lo));
      s.max_value = std::string(1, static_cast<char>(hi));
      return;
    }
    case ColumnType::kString: {
      const size_t n = dict ? dict_strings_.size() : strings_.size();
      if (n == 0) return;
      std::string_view lo = dict ? dict_strings_.at(0) : strings_[0];
      std::string_view hi = lo;
      for (size_t i = 1; i < n; ++i) {
        const std::string_view x = dict ? dict_strings_.at(i) : strings_[i];
        if (x < lo) lo = x;
        if (hi < x) hi = x;
      }
      set_string_bounds(lo, hi, options_->max_statistics_bytes, s);
      return;
    }
  }
}

void ColumnWriter::write_dictionary_page(PageSink& pages, ChunkTotals& totals,
                                         ColumnChunkMeta& meta) {
  page_.clear();
  if (spec_->type == ColumnType::kString) {
    for (size_t i = 0; i < dict_strings_.size(); ++i) {
      const std::string_view e = dict_strings_.at(i);
      page_.put_u32_le(static_cast<uint32_t>(e.size()));
      page_.append(e.data(), e.size());
    }
  } else if (spec_->type == ColumnType::kInt32) {
    page_.append(dict32_.values().data(), dict32_.plain_bytes());
  } else {
    page_.append(dict64_.values().data(), dict64_.plain_bytes());
  }
  PageHeader header;
  header.type = PageType::kDictionaryPage;
  header.num_values = static_cast<int32_t>(dictionary_size());
  header.encoding = Encoding::kPlain;
  meta.dictionary_page_offset = static_cast<int64_t>(pages.write_page(header, page_, totals));
  meta.encoding_stats.push_back({PageType::kDictionaryPage, Encoding::kPlain, 1});
}

// Encodes rows [row_begin, row_end) (values [value_begin, value_end)) into page_:
// the 4-byte length and RLE hybrid definition levels, then the values.
void ColumnWriter::encode_page(Mode mode, size_t row_begin, size_t row_end, size_t value_begin,
                               size_t value_end) {
  page_.clear();
  page_.put_u32_le(0);
  rle_hybrid_encode(levels_.data() + row_begin, row_end - row_begin, 1, page_);
  const uint32_t levels_bytes = static_cast<uint32_t>(page_.size() - 4);
  std::memcpy(page_.data(), &levels_bytes, 4);
  const size_t n = value_end - value_begin;
  if (mode == Mode::kDictionary) {
    page_.push(static_cast<uint8_t>(index_width_));
    rle_hybrid_encode(indices_.data() + value_begin, n, index_width_, page_);
    return;
  }
  switch (spec_->type) {
    case ColumnType::kInt32:
      page_.append(values32_.data() + value_begin, n * sizeof(uint32_t));
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
    case ColumnType::kDouble:
      page_.append(values64_.data() + value_begin, n * sizeof(uint64_t));
      break;
    case ColumnType::kBool:
      pack_bools(bools_.data() + value_begin, n, page_);
      break;
    case ColumnType::kString: {
      size_t bytes = 0;
      for (size_t i = value_begin; i < value_end; ++i) bytes += 4 + strings_[i].size();
      page_.reserve(page_.size() + bytes);
      for (size_t i = value_begin; i < value_end; ++i) {
        page_.put_u32_le(static_cast<uint32_t>(strings_[i].size()));
        page_.append(strings_[i].data(), strings_[i].size());
      }
      break;
    }
  }
}

// Cuts pages so that their uncompressed size stays within data_page_bytes: the
// size is bounded from above (2 bits of definition level per row, cost(value)
// bits per non-null value, a fixed allowance for the length prefix, the index
// width byte and the last group's padding), checked before each row; a page
// always holds at least one row. RLE hybrid output is at most 1 bit per value
// above its bit width (a 1-byte run header per 8 values at worst), so 2 bits
// bound a level and width + 1 bits a dictionary index.
template <typename Cost>
void ColumnWriter::cut_pages(Cost cost, Mode mode, PageSink& pages, ChunkTotals& totals,
                             ColumnChunkMeta& meta) {
  const uint64_t limit_bits =
      static_cast<uint64_t>(std::min(options_->data_page_bytes, kMaxPageBytes)) * 8;
  const size_t rows = levels_.size();
  const uint8_t* levels = levels_.data();
  const Encoding encoding = mode == Mode::kDictionary ? Encoding::kRleDictionary : Encoding::kPlain;
  int32_t page_count = 0;
  size_t row = 0, value = 0;
  while (row < rows) {
    const size_t row_begin = row, value_begin = value;
    uint64_t bits = 64 * 8;
    do {
      const uint64_t next = 2 + (levels[row] ? cost(value) : 0);
      if (row > row_begin && bits + next > limit_bits) break;
      bits += next;
      value += levels[row];
      ++row;
    } while (row < rows && row - row_begin < kMaxPageRows);
    encode_page(mode, row_begin, row, value_begin, value);
    PageHeader header;
    header.type = PageType::kDataPage;
    header.num_values = static_cast<int32_t>(row - row_begin);
    header.encoding = encoding;
    const uint64_t offset = pages.write_page(header, page_, totals);
    if (page_count++ == 0) meta.data_page_offset = static_cast<int64_t>(offset);
  }
  meta.encoding_stats.push_back({PageType::kDataPage, encoding, page_count});
}

void ColumnWriter::write_data_pages(Mode mode, PageSink& pages, ChunkTotals& totals,
                                    ColumnChunkMeta& meta) {
  if (mode == Mode::kDictionary) {
    const uint64_t width = static_cast<uint64_t>(index_width_) + 1;
    cut_pages([width](size_t) { return width; }, mode, pages, totals, meta);
    return;
  }
  switch (spec_->type) {
    case ColumnType::kInt32:
      cut_pages([](size_t) { return uint64_t{32}; }, mode, pages, totals, meta);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
    case ColumnType::kDouble:
      cut_pages([](size_t) { return uint64_t{64}; }, mode, pages, totals, meta);
      break;
    case ColumnType::kBool:
      cut_pages([](size_t) { return uint64_t{1}; }, mode, pages, totals, meta);
      break;
    case ColumnType::kString: {
      const std::string_view* strings = strings_.data();
      cut_pages([strings](size_t i) { return (4 + static_cast<uint64_t>(strings[i].size())) * 8; },
                mode, pages, totals, meta);
      break;
    }
  }
}

ColumnChunkMeta ColumnWriter::write_chunk(const ColumnSpec& spec, const WriterOptions& options,
                                          std::span<const Slice> slices, size_t index,
                                          PageSink& pages) {
  spec_ = &spec;
  options_ = &options;
  slices_ = slices;
  column_index_ = index;
  gather(slices, index);
  const Mode mode = build_dictionary();
  if (mode == Mode::kPlain && spec_->type == ColumnType::kString) gather_strings();

  ColumnChunkMeta meta;
  meta.type = physical_type(spec_->type);
  meta.path = spec_->name;
  meta.codec = pages.codec_id();
  meta.num_values = static_cast<int64_t>(levels_.size());
  if (mode == Mode::kDictionary) {
    meta.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary};
  } else {
    meta.encodings = {Encoding::kPlain, Encoding::kRle};
  }
  compute_statistics(mode, meta.statistics);

  ChunkTotals totals;
  meta.file_offset = static_cast<int64_t>(pages.position());
  if (mode == Mode::kDictionary) write_dictionary_page(pages, totals, meta);
  write_data_pages(mode, pages, totals, meta);
  meta.total_uncompressed_size = totals.uncompressed;
  meta.total_compressed_size = totals.compressed;
  return meta;
}

size_t ColumnWriter::capacity_bytes() const {
  return levels_.capacity_bytes() + values32_.capacity_bytes() + values64_.capacity_bytes() +
         bools_.capacity_bytes() + strings_.capacity_bytes() + indices_.capacity_bytes() +
         dict32_.capacity_bytes() + dict64_.capacity_bytes() + dict_strings_.capacity_bytes() +
         page_.capacity();
}

}  // namespace sluice::parquet
