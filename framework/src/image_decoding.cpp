// PNG and JPEG decoding through libpng and libjpeg. Both report errors by longjmp out of the error handler: the
// decoders below keep everything that changes after setjmp in the caller's DecodedImage or in the libraries' own
// structures, and no C++ object with a destructor lives in a frame that longjmp leaves.
#include "nnplug/framework/image_decoding.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <utility>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug {
namespace {

constexpr unsigned char kPngSignature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr unsigned char kJpegSignature[] = {0xff, 0xd8, 0xff};

// What a decoder reports back from inside the library: its message, set before the jump. The message lives in a
// fixed buffer, not a std::string, so that nothing with a destructor is written between setjmp and longjmp.
struct DecodeFailure {
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 200] = {};

  template <typename... Args>
  void say(fmt::format_string<Args...> format, Args&&... args) {
    *fmt::format_to_n(message, sizeof message - 1, format, std::forward<Args>(args)...).out = '\0';
  }
};

// Why an image of height x width cannot be decoded from `file_bytes` bytes before anything is allocated for it, or
// nullptr. Neither format packs more than 32768 output bytes in one byte of file (deflate expands at most 1032 times,
// a 1-bit PNG pixel becomes 3 bytes), so a larger claim is a damaged or hostile header.
const char* oversized(std::int64_t height, std::int64_t width, std::size_t file_bytes) {
  if (height <= 0 || width <= 0 || height > kMaxImagePixels / width) return "more pixels than one image may have (2^28)";
  if (static_cast<std::uint64_t>(height * width * 3) / 32768 > file_bytes) return "more pixels than its bytes can hold";
  return nullptr;
}

// ---- PNG ----

struct PngInput {
  const unsigned char* data;
  std::size_t size, offset;
  DecodeFailure failure;
};

void png_failed(png_structp png, png_const_charp message) {
  auto* input = static_cast<PngInput*>(png_get_error_ptr(png));
  input->failure.say("{}", message);
  std::longjmp(input->failure.jump, 1);
}

void png_warned(png_structp, png_const_charp) {}  // ancillary trouble (a bad text chunk, an sRGB profile): the pixels stand

void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
  auto* input = static_cast<PngInput*>(png_get_io_ptr(png));
  if (count > input->size - input->offset) png_error(png, "the file ends before the image does");
  std::memcpy(out, input->data + input->offset, count);
  input->offset += count;
}

// Every PNG as 8-bit RGB: palettes looked up, gray of fewer bits widened, 16 bits cut to their high byte, alpha and
// transparency dropped, gray repeated on the three channels. Returns false with the message in `input`.
bool decode_png(PngInput& input, DecodedImage& out) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &input, png_failed, png_warned);
  if (!png) return input.failure.say("libpng could not start"), false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return input.failure.say("libpng could not start"), false;
  }
  if (setjmp(input.failure.jump)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &input, png_read_memory);
  png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_DEFAULT);  // a damaged critical chunk is an error
  png_read_info(png, info);
  const auto width = static_cast<std::int64_t>(png_get_image_width(png, info)), height = static_cast<std::int64_t>(png_get_image_height(png, info));
  if (const char* why = oversized(height, width, input.size)) {
    input.failure.say("the header announces {} x {} pixels, {}", width, height, why);
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_gray_to_rgb(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out.height = height, out.width = width, out.channels = 3;
  out.pixels.assign(static_cast<std::size_t>(height * width * 3), 0);
  for (int pass = 0; pass < passes; ++pass)
    for (std::int64_t row = 0; row < height; ++row) png_read_row(png, out.pixels.data() + row * width * 3, nullptr);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

// ---- JPEG ----

struct JpegErrors {
  jpeg_error_mgr manager;
  DecodeFailure* failure;
};

void jpeg_failed(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->failure->message);
  std::longjmp(errors->failure->jump, 1);
}

// A warning (msg_level -1) is corrupt or missing data that libjpeg would paper over with gray: an error here, as
// Pillow refuses a truncated file. Trace messages (msg_level >= 0) are nothing.
void jpeg_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) jpeg_failed(cinfo);
}

// A JPEG as 8-bit RGB or, when it is gray, 8-bit gray. Returns false with the message in `failure`.
bool decode_jpeg(const unsigned char* data, std::size_t size, DecodeFailure& failure, DecodedImage& out) {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  cinfo.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_failed;
  errors.manager.emit_message = jpeg_message;
  errors.failure = &failure;
  if (setjmp(failure.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    failure.say("a CMYK JPEG, which is not read: save it as RGB");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const std::int64_t width = cinfo.image_width, height = cinfo.image_height;
  if (const char* why = oversized(height, width, size)) {
    failure.say("the header announces {} x {} pixels, {}", width, height, why);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out.height = height, out.width = width, out.channels = cinfo.output_components;
  out.pixels.assign(static_cast<std::size_t>(height * width * out.channels), 0);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<std::int64_t>(cinfo.output_scanline) * width * out.channels;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool starts_with(std::span<const unsigned char> bytes, std::span<const unsigned char> signature) {
  return bytes.size() >= signature.size() && std::equal(signature.begin(), signature.end(), bytes.begin());
}

// Pillow's conversions: "L" to "RGB" repeats the gray; "RGB" to "L" is (19595 R + 38470 G + 7471 B + 2^15) >> 16.
DecodedImage with_channels(DecodedImage image, int channels) {
  if (image.channels == channels) return image;
  const std::size_t n = static_cast<std::size_t>(image.height * image.width);
  std::vector<std::uint8_t> pixels(n * static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < n; ++i)
    if (channels == 3) {
      pixels[3 * i] = pixels[3 * i + 1] = pixels[3 * i + 2] = image.pixels[i];
    } else {
      const std::uint8_t* rgb = &image.pixels[3 * i];
      pixels[i] = static_cast<std::uint8_t>((19595u * rgb[0] + 38470u * rgb[1] + 7471u * rgb[2] + 0x8000u) >> 16);
    }
  image.pixels = std::move(pixels);
  image.channels = channels;
  return image;
}

// ---- Pillow's bilinear resampling ----

constexpr int kPrecisionBits = 32 - 8 - 2;

// For each output position along one axis: the first input taken, and the fixed-point weights of the inputs taken.
struct Taps {
  std::vector<std::int64_t> first, count;
  std::vector<std::int32_t> weights;  // `size` per output
  std::int64_t size = 0;
};

Taps bilinear_taps(std::int64_t in_size, std::int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size), filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle's support, 1, widened when shrinking
  Taps taps;
  taps.size = static_cast<std::int64_t>(std::ceil(support)) * 2 + 1;
  taps.first.resize(static_cast<std::size_t>(out_size));
  taps.count.resize(static_cast<std::size_t>(out_size));
  taps.weights.assign(static_cast<std::size_t>(out_size * taps.size), 0);
  std::vector<double> w(static_cast<std::size_t>(taps.size));
  for (std::int64_t o = 0; o < out_size; ++o) {
    const double center = (static_cast<double>(o) + 0.5) * scale;
    const auto first = std::max<std::int64_t>(0, static_cast<std::int64_t>(center - support + 0.5));
    const auto count = std::min<std::int64_t>(in_size, static_cast<std::int64_t>(center + support + 0.5)) - first;
    double total = 0.0;
    for (std::int64_t k = 0; k < count; ++k) {
      const double x = std::abs((static_cast<double>(k + first) - center + 0.5) * (1.0 / filter_scale));
      total += (w[static_cast<std::size_t>(k)] = x < 1.0 ? 1.0 - x : 0.0);
    }
    for (std::int64_t k = 0; k < count; ++k) {
      const double normalized = total != 0.0 ? w[static_cast<std::size_t>(k)] / total : w[static_cast<std::size_t>(k)];
      const double fixed = normalized * (1 << kPrecisionBits);
      taps.weights[static_cast<std::size_t>(o * taps.size + k)] = static_cast<std::int32_t>(fixed < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    taps.first[static_cast<std::size_t>(o)] = first;
    taps.count[static_cast<std::size_t>(o)] = count;
  }
  return taps;
}

std::uint8_t clip8(std::int64_t sum) { return static_cast<std::uint8_t>(std::clamp<std::int64_t>(sum >> kPrecisionBits, 0, 255)); }

// One pass along rows (horizontal) or columns (vertical) of an image of `channels`: `in` is in_rows x in_cols.
DecodedImage resample(const DecodedImage& in, const Taps& taps, std::int64_t out_size, bool horizontal) {
  DecodedImage out;
  out.channels = in.channels;
  out.height = horizontal ? in.height : out_size;
  out.width = horizontal ? out_size : in.width;
  out.pixels.resize(static_cast<std::size_t>(out.height * out.width * out.channels));
  const std::int64_t c = in.channels;
  for (std::int64_t y = 0; y < out.height; ++y)
    for (std::int64_t x = 0; x < out.width; ++x) {
      const std::int64_t o = horizontal ? x : y;
      const std::int32_t* w = &taps.weights[static_cast<std::size_t>(o * taps.size)];
      const std::int64_t first = taps.first[static_cast<std::size_t>(o)], count = taps.count[static_cast<std::size_t>(o)];
      for (std::int64_t ch = 0; ch < c; ++ch) {
        std::int64_t sum = std::int64_t{1} << (kPrecisionBits - 1);
        for (std::int64_t k = 0; k < count; ++k) {
          const std::int64_t iy = horizontal ? y : first + k, ix = horizontal ? first + k : x;
          sum += static_cast<std::int64_t>(in.pixels[static_cast<std::size_t>((iy * in.width + ix) * c + ch)]) * w[k];
        }
        out.pixels[static_cast<std::size_t>((y * out.width + x) * c + ch)] = clip8(sum);
      }
    }
  return out;
}

}  // namespace

DecodedImage decode_image(std::span<const unsigned char> bytes, const std::string& name, int channels) {
  DecodedImage image;
  if (starts_with(bytes, kPngSignature)) {
    PngInput input{bytes.data(), bytes.size(), 0, {}};
    if (!decode_png(input, image)) throw IoError(fmt::format("{}: not a readable PNG image: {}", name, input.failure.message));
  } else if (starts_with(bytes, kJpegSignature)) {
    DecodeFailure failure;
    if (!decode_jpeg(bytes.data(), bytes.size(), failure, image))
      throw IoError(fmt::format("{}: not a readable JPEG image: {}", name, failure.message));
  } else {
    throw IoError(fmt::format("{}: neither a PNG nor a JPEG image (its first bytes are not their signatures)", name));
  }
  return with_channels(std::move(image), channels);
}

DecodedImage resize_bilinear(const DecodedImage& image, std::int64_t height, std::int64_t width) {
  DecodedImage out = image;
  if (width != image.width) out = resample(out, bilinear_taps(image.width, width), width, true);
  if (height != image.height) out = resample(out, bilinear_taps(image.height, height), height, false);
  return out;
}

}  // namespace nnplug
