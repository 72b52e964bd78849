#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb_image.h>
#include <stb_image_resize.h>
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#include "image.h"

namespace {
struct StbFree {
  void operator()(unsigned char* p) const { stbi_image_free(p); }
};

std::string decode_error() {
  const char* reason = stbi_failure_reason();
  return std::string("cannot decode image: ") + (reason ? reason : "unknown format");
}
}  // namespace

PT_EXPORT int pt_image_info(const uint8_t* bytes, int length, int* width, int* height, int* channels) {
  PT_CATCH_STD(0,
    if (!stbi_info_from_memory(bytes, length, width, height, channels)) throw std::runtime_error(decode_error());
    return 1;)
}

namespace {
void check_side(int w, int h, int max_side) {
  if (max_side > 0 && (w > max_side || h > max_side))
    throw std::runtime_error("image is " + std::to_string(w) + "x" + std::to_string(h) + " pixels; at most " +
                             std::to_string(max_side) + "x" + std::to_string(max_side) + " are accepted");
}
}  // namespace

PT_EXPORT int pt_image_verify(const uint8_t* bytes, int length, int max_side, int* width, int* height, int* channels) {
  PT_CATCH_STD(0,
    if (!stbi_info_from_memory(bytes, length, width, height, channels)) throw std::runtime_error(decode_error());
    check_side(*width, *height, max_side);
    int w = 0, h = 0, c = 0;
    // The file's own channel count: the smallest buffer that still decodes every pixel.
    std::unique_ptr<unsigned char, StbFree> pixels(stbi_load_from_memory(bytes, length, &w, &h, &c, 0));
    if (!pixels) throw std::runtime_error(decode_error());
    return 1;)
}

namespace {
// Decodes to RGBA, composites transparent pixels onto the background (what a browser shows on a
// page of that colour), converts to 1 or 3 channels with stb's own luma weights, then resizes.
// For an opaque image every step is exact, so its pixels equal stb's direct 1- or 3-channel load.
std::vector<unsigned char> load_composited(const uint8_t* bytes, int length, int channels, int height, int width,
                                           const uint8_t* background, int max_side) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("channels must be 1 or 3");
  if (height <= 0 || width <= 0) throw std::invalid_argument("target size must be positive");
  int w = 0, h = 0, original = 0;
  if (!stbi_info_from_memory(bytes, length, &w, &h, &original)) throw std::runtime_error(decode_error());
  check_side(w, h, max_side);
  std::unique_ptr<unsigned char, StbFree> rgba(stbi_load_from_memory(bytes, length, &w, &h, &original, 4));
  if (!rgba) throw std::runtime_error(decode_error());
  const unsigned char white[3] = {255, 255, 255};
  const unsigned char* bg = background ? background : white;
  const size_t pixels = static_cast<size_t>(w) * h;
  std::vector<unsigned char> converted(pixels * channels);
  const unsigned char* src = rgba.get();
  for (size_t i = 0; i < pixels; i++, src += 4) {
    unsigned char rgb[3];
    const unsigned a = src[3];
    for (int c = 0; c < 3; c++)
      rgb[c] = a == 255 ? src[c] : static_cast<unsigned char>((src[c] * a + bg[c] * (255 - a) + 127) / 255);
    if (channels == 3) {
      converted[i * 3] = rgb[0];
      converted[i * 3 + 1] = rgb[1];
      converted[i * 3 + 2] = rgb[2];
    } else {
      converted[i] = static_cast<unsigned char>((rgb[0] * 77 + rgb[1] * 150 + rgb[2] * 29) >> 8);
    }
  }
  if (w == width && h == height) return converted;
  std::vector<unsigned char> resized(static_cast<size_t>(width) * height * channels);
  if (!stbir_resize_uint8(converted.data(), w, h, 0, resized.data(), width, height, 0, channels))
    throw std::runtime_error("cannot resize image");
  return resized;
}
}  // namespace

// Writes channels x height x width floats (CHW, like torchvision's ToTensor) scaled to [0,1], then
// normalised per channel with (x - mean) / std.
PT_EXPORT int pt_image_decode(const uint8_t* bytes, int length, int channels, int height, int width,
                              const float* mean, const float* std, const uint8_t* background, int max_side, float* out) {
  PT_CATCH_STD(0,
    const std::vector<unsigned char> pixels = load_composited(bytes, length, channels, height, width, background, max_side);
    const unsigned char* source = pixels.data();
    const size_t plane = static_cast<size_t>(width) * height;
    for (int c = 0; c < channels; c++) {
      const float m = mean ? mean[c] : 0.0f;
      const float s = std ? std[c] : 1.0f;
      for (size_t i = 0; i < plane; i++) out[c * plane + i] = (source[i * channels + c] / 255.0f - m) / s;
    }
    return 1;)
}

PT_EXPORT int pt_image_preview(const uint8_t* bytes, int length, int channels, int height, int width,
                               const uint8_t* background, int max_side, uint8_t* out) {
  PT_CATCH_STD(0,
    const std::vector<unsigned char> pixels = load_composited(bytes, length, channels, height, width, background, max_side);
    std::copy(pixels.begin(), pixels.end(), out);
    return 1;)
}
