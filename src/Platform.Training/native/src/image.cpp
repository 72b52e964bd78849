#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb_image.h>
#include <stb_image_resize.h>
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

// Writes channels x height x width floats (CHW, like torchvision's ToTensor) scaled to [0,1], then
// normalised per channel with (x - mean) / std. stb converts grey <-> RGB on load.
PT_EXPORT int pt_image_decode(const uint8_t* bytes, int length, int channels, int height, int width,
                              const float* mean, const float* std, float* out) {
  PT_CATCH_STD(0,
    if (channels != 1 && channels != 3) throw std::invalid_argument("channels must be 1 or 3");
    if (height <= 0 || width <= 0) throw std::invalid_argument("target size must be positive");
    int w = 0, h = 0, original = 0;
    std::unique_ptr<unsigned char, StbFree> pixels(stbi_load_from_memory(bytes, length, &w, &h, &original, channels));
    if (!pixels) throw std::runtime_error(decode_error());
    const unsigned char* source = pixels.get();
    std::vector<unsigned char> resized;
    if (w != width || h != height) {
      resized.resize(static_cast<size_t>(width) * height * channels);
      if (!stbir_resize_uint8(source, w, h, 0, resized.data(), width, height, 0, channels))
        throw std::runtime_error("cannot resize image");
      source = resized.data();
    }
    const size_t plane = static_cast<size_t>(width) * height;
    for (int c = 0; c < channels; c++) {
      const float m = mean ? mean[c] : 0.0f;
      const float s = std ? std[c] : 1.0f;
      for (size_t i = 0; i < plane; i++) out[c * plane + i] = (source[i * channels + c] / 255.0f - m) / s;
    }
    return 1;)
}
