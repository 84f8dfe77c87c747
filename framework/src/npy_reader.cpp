// NumPy's .npy files: the magic string, a version, a header that is a Python dict literal naming the dtype, the
// order and the shape, then the values. The header is parsed strictly (the three keys numpy writes, each once), and
// every size it announces is checked against the bytes there, with arithmetic that cannot wrap, before anything is
// allocated for them.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {

namespace {

static_assert(std::endian::native == std::endian::little, "the .npy reader reads little-endian values where they lie");

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr double kLargestLabel = 1e9;  // as the CSV reader's

struct NpyArray {
  char kind = 0;  // 'b' bool, 'i' signed or 'u' unsigned integer, 'f' float
  std::size_t item_size = 0;
  std::vector<std::int64_t> shape;
  std::size_t count = 0;  // values
  std::span<const unsigned char> values;
  bool integral() const { return kind != 'f'; }
};

// The header's dict literal, as numpy writes it: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces to a line. Quotes may be single or double, and a trailing comma may end the dict or a tuple.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw IoError(fmt::format("{}: the .npy header {} (at character {} of '{}')", name_, why, at_, shown()));
  }
  bool take(char c) {
    skip_blanks();
    if (at_ < text_.size() && text_[at_] == c) return ++at_, true;
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail(fmt::format("lacks '{}'", c));
  }
  bool at_end() {
    skip_blanks();
    return at_ == text_.size();
  }
  char peek() {
    skip_blanks();
    return at_ < text_.size() ? text_[at_] : '\0';
  }
  std::string quoted() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("has a value that is not a quoted string where one belongs");
    const auto end = text_.find(quote, ++at_);
    if (end == std::string_view::npos) fail("has a string without its closing quote");
    std::string s(text_.substr(at_, end - at_));
    // Messages repeat what a string holds: no control characters (a terminal's escapes) reach them.
    if (std::any_of(s.begin(), s.end(), [](char c) { return !printable(c); })) fail("has a string with characters that are not printable ASCII");
    at_ = end + 1;
    return s;
  }
  bool boolean() {
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, std::pair{std::string_view("False"), false}})
      if (peek() == word[0] && text_.substr(at_, word.size()) == word) return at_ += word.size(), value;
    fail("has a fortran_order that is neither True nor False");
  }
  // (a, b, ...), () or (a,): non-negative integers that fit 63 bits.
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> sizes;
    while (!take(')')) {
      if (peek() < '0' || peek() > '9') fail("has a shape that is not a tuple of non-negative integers");
      std::int64_t v = 0;
      for (; at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9'; ++at_)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, text_[at_] - '0', &v)) fail("has a size past 63 bits");
      sizes.push_back(v);
      if (!take(',')) {
        expect(')');
        break;
      }
    }
    return sizes;
  }

 private:
  std::string_view text_;
  const std::string& name_;
  std::size_t at_ = 0;
  void skip_blanks() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\t')) ++at_;
  }
  static bool printable(char c) { return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7e; }
  std::string shown() const {
    std::string s(text_.substr(0, 200));
    std::replace_if(s.begin(), s.end(), [](char c) { return !printable(c); }, '?');
    return s.substr(0, s.find_last_not_of(' ') + 1) + (text_.size() > 200 ? "..." : "");
  }
};

// The descr's byte order, kind and size ('<f4', '|u1'), checked to be one nnplug reads.
void read_descr(const std::string& descr, NpyArray& a, const HeaderParser& header) {
  if (descr.size() < 3) header.fail(fmt::format("names the dtype '{}', not a NumPy type string such as '<f4'", descr));
  if (descr[0] == '>')
    header.fail(fmt::format("names the big-endian dtype '{}'; save it little-endian: arr.astype(arr.dtype.newbyteorder('<'))", descr));
  if (descr[0] != '<' && descr[0] != '|' && descr[0] != '=')
    header.fail(fmt::format("names the dtype '{}', not a NumPy type string such as '<f4'", descr));
  a.kind = descr[1];
  const std::string_view size = std::string_view(descr).substr(2);
  a.item_size = size == "1" ? 1 : size == "2" ? 2 : size == "4" ? 4 : size == "8" ? 8 : 0;
  const bool readable = (a.kind == 'b' && a.item_size == 1) || ((a.kind == 'i' || a.kind == 'u') && a.item_size) ||
                        (a.kind == 'f' && (a.item_size == 4 || a.item_size == 8));
  if (readable) return;
  if (a.kind == 'f' && a.item_size == 2) header.fail(fmt::format("names float16 ('{}'); convert it first: arr.astype('float32')", descr));
  header.fail(fmt::format("names the dtype '{}'; nnplug reads bool, integer and float32 or float64 arrays", descr));
}

NpyArray parse_npy(std::span<const unsigned char> bytes, const std::string& name) {
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == 'K')
    throw IoError(fmt::format("{}: a zip file, as numpy.savez writes an .npz archive: name it as the data section's path, and its arrays "
                              "as train_inputs and train_targets", name));
  if (bytes.size() < 10 || std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic)
    throw IoError(fmt::format("{}: not a NumPy .npy file (it does not start with numpy.save's magic string \\x93NUMPY)", name));
  const unsigned major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0)
    throw IoError(fmt::format("{}: .npy format version {}.{}, which nnplug does not read (1.0, 2.0 and 3.0)", name, major, minor));
  // Version 1 counts the header's bytes in 16 bits, the later ones in 32.
  const std::size_t prefix = major == 1 ? 10 : 12;
  if (bytes.size() < prefix) throw IoError(fmt::format("{}: the .npy file ends inside its header's length", name));
  std::size_t header_bytes = std::size_t{bytes[8]} | (std::size_t{bytes[9]} << 8);
  if (major > 1) header_bytes |= (std::size_t{bytes[10]} << 16) | (std::size_t{bytes[11]} << 24);
  if (header_bytes > bytes.size() - prefix)
    throw IoError(fmt::format("{}: the .npy header announces {} bytes but the file has {} after its prefix", name, header_bytes, bytes.size() - prefix));

  NpyArray a;
  HeaderParser header(std::string_view(reinterpret_cast<const char*>(bytes.data() + prefix), header_bytes), name);
  std::string descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<std::int64_t>> shape;
  header.expect('{');
  while (!header.take('}')) {
    const std::string key = header.quoted();
    header.expect(':');
    const bool seen = key == "descr" ? !descr.empty() : key == "fortran_order" ? fortran_order.has_value() : shape.has_value();
    if (seen) header.fail(fmt::format("gives '{}' twice", key));
    if (key == "descr") {
      if (header.peek() == '[') header.fail("names a structured dtype (a list of fields); nnplug reads plain arrays");
      descr = header.quoted();
      read_descr(descr, a, header);
    } else if (key == "fortran_order") {
      fortran_order = header.boolean();
    } else if (key == "shape") {
      shape = header.tuple();
    } else {
      header.fail(fmt::format("has the key '{}'; numpy writes 'descr', 'fortran_order' and 'shape' only", key));
    }
    if (!header.take(',')) {
      header.expect('}');
      break;
    }
  }
  if (!header.at_end()) header.fail("has text after its dict");
  if (descr.empty() || !fortran_order || !shape) header.fail("lacks one of 'descr', 'fortran_order' and 'shape'");
  a.shape = *shape;
  if (*fortran_order && a.shape.size() > 1)
    header.fail("says the array is in Fortran order; save it in C order: numpy.save(path, numpy.ascontiguousarray(arr))");

  std::size_t count = 1, expected = 0;
  for (const std::int64_t d : a.shape)
    if (__builtin_mul_overflow(count, static_cast<std::size_t>(d), &count))
      throw IoError(fmt::format("{}: the .npy header announces shape ({}), more values than 64 bits can count", name, fmt::join(a.shape, ", ")));
  if (__builtin_mul_overflow(count, a.item_size, &expected))
    throw IoError(fmt::format("{}: the .npy header announces shape ({}) of {}, more bytes than 64 bits can count", name, fmt::join(a.shape, ", "), descr));
  const std::size_t data_at = prefix + header_bytes;
  if (bytes.size() - data_at != expected)
    throw IoError(fmt::format("{}: the .npy header announces shape ({}) of {}, {} bytes, but {} bytes follow it", name, fmt::join(a.shape, ", "),
                              descr, expected, bytes.size() - data_at));
  a.count = count;
  a.values = bytes.subspan(data_at);
  return a;
}

// Calls f(i, value) for every value in order, as a double, with the element type's loop chosen once. A bool's byte
// may hold any value: numpy reads every one but 0 as True, 1 here.
template <typename F>
void for_each_value(const NpyArray& a, F&& f) {
  auto loop = [&](auto tag) {
    using T = decltype(tag);
    for (std::size_t i = 0; i < a.count; ++i) {
      T v;
      std::memcpy(&v, a.values.data() + i * sizeof(T), sizeof(T));
      f(i, a.kind == 'b' ? static_cast<double>(v != 0) : static_cast<double>(v));
    }
  };
  switch (a.kind) {
    case 'b': return loop(std::uint8_t{});
    case 'f': return a.item_size == 4 ? loop(float{}) : loop(double{});
    case 'i': return a.item_size == 1 ? loop(std::int8_t{}) : a.item_size == 2 ? loop(std::int16_t{}) : a.item_size == 4 ? loop(std::int32_t{}) : loop(std::int64_t{});
    default: return a.item_size == 1 ? loop(std::uint8_t{}) : a.item_size == 2 ? loop(std::uint16_t{}) : a.item_size == 4 ? loop(std::uint32_t{}) : loop(std::uint64_t{});
  }
}

std::string shape_of(const NpyArray& a) { return fmt::format("({})", fmt::join(a.shape, ", ")); }

}  // namespace

Dataset parse_npy_inputs(std::span<const unsigned char> bytes, const std::string& name, double divide_by, DType dtype) {
  if (!(divide_by > 0)) throw InvalidArgument(fmt::format("divide_by must be positive, got {}", divide_by));
  const NpyArray a = parse_npy(bytes, name);
  if (a.shape.empty()) throw IoError(fmt::format("{}: holds one value (shape ()), not samples: the first axis counts the samples", name));
  if (a.shape.size() > static_cast<std::size_t>(Shape::kMaxRank))
    throw IoError(fmt::format("{}: shape {} has {} axes; nnplug's samples have at most {} (the first axis counts them)", name, shape_of(a),
                              a.shape.size(), Shape::kMaxRank - 1));
  if (a.count == 0) throw IoError(fmt::format("{}: shape {} holds no values: there is nothing to read", name, shape_of(a)));
  Dataset d;
  d.sample_shape = a.shape.size() == 1 ? Shape{1} : Shape(std::vector<std::int64_t>(a.shape.begin() + 1, a.shape.end()));
  const auto features = static_cast<std::size_t>(d.sample_shape.numel());
  if (a.item_size == 1 && (a.kind == 'u' || a.kind == 'b')) {
    // Bytes stay bytes, as IDX pixels do: a quarter of float32's memory (a bool's byte is True unless it is 0).
    d.x = SampleValues::from_bytes({a.values.begin(), a.values.end()}, features, dtype,
                                   [&](std::uint8_t b) { return divided_in(dtype, a.kind == 'b' ? (b != 0) : b, divide_by); });
  } else {
    d.x = SampleValues(dtype, a.count);
    d.x.visit([&](auto& values) {
      for_each_value(a, [&](std::size_t i, double v) {
        const double x = divided_in(dtype, v, divide_by);
        if (!std::isfinite(x))
          throw IoError(fmt::format("{}: value {} (sample {}, feature {}) is {}{}: not a finite {} value", name, i, i / features, i % features, v,
                                    divide_by == 1.0 ? "" : fmt::format(", {} divided by {}", x, divide_by), dtype_name(dtype)));
        values[i] = static_cast<typename std::decay_t<decltype(values)>::value_type>(x);
      });
    });
  }
  d.labels.assign(static_cast<std::size_t>(a.shape[0]), -1);
  return d;
}

void parse_npy_targets(std::span<const unsigned char> bytes, const std::string& name, Dataset& samples) {
  const NpyArray a = parse_npy(bytes, name);
  if (a.shape.empty() || a.shape[0] != samples.size())
    throw IoError(fmt::format("{}: shape {} holds {} rows of targets, but the inputs hold {} samples", name, shape_of(a),
                              a.shape.empty() ? 0 : a.shape[0], samples.size()));
  const std::size_t rows = static_cast<std::size_t>(a.shape[0]), width = rows ? a.count / rows : 0;
  if (a.integral() && width == 1 && a.shape.size() <= 2) {  // class labels, (N) or (N, 1)
    std::int32_t largest = -1;
    for_each_value(a, [&](std::size_t i, double v) {
      if (v < 0 || v > kLargestLabel)
        throw IoError(fmt::format("{}: label {} (sample {}) is not a class index (a non-negative integer up to 1e9)", name, v, i));
      samples.labels[i] = static_cast<std::int32_t>(v);
      largest = std::max(largest, samples.labels[i]);
    });
    samples.num_classes = largest + 1;
    return;
  }
  if (width == 0) throw IoError(fmt::format("{}: shape {} holds no target values", name, shape_of(a)));
  samples.targets.resize(a.count);
  for_each_value(a, [&](std::size_t i, double v) {
    samples.targets[i] = static_cast<float>(v);
    if (!std::isfinite(samples.targets[i]))
      throw IoError(fmt::format("{}: target {} of sample {} is {}: not a finite float32 value", name, i % width, i / width, v));
  });
  samples.target_width = static_cast<std::int64_t>(width);
  samples.keep_target_shape(a.shape, name);
}

Dataset read_npy_inputs(const std::filesystem::path& inputs, double divide_by, DType dtype) {
  return parse_npy_inputs(read_input_bytes(inputs, "the .npy file"), inputs.string(), divide_by, dtype);
}

Dataset read_npy(const std::filesystem::path& inputs, const std::filesystem::path& targets, double divide_by, DType dtype) {
  Dataset d = read_npy_inputs(inputs, divide_by, dtype);
  parse_npy_targets(read_input_bytes(targets, "the .npy file"), targets.string(), d);
  return d;
}

}  // namespace nnplug
