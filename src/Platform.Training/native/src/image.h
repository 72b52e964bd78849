#pragma once
// Image decoding (PNG, JPEG, BMP, GIF first frame) through stb_image, independent of ATen so this
// translation unit compiles in a second. The managed side turns the float buffer into a tensor.
#include "common.h"

PT_EXPORT int pt_image_info(const uint8_t* bytes, int length, int* width, int* height, int* channels);
// Decodes every pixel once (and frees them) so a truncated or corrupt file is found before it is
// stored; sides over max_side are refused from the header first, before any pixel is allocated.
PT_EXPORT int pt_image_verify(const uint8_t* bytes, int length, int max_side, int* width, int* height, int* channels);
// background: 3 bytes (RGB) that transparent pixels are composited onto; null is white.
// max_side: images wider or taller are refused before their pixels are decoded (decompression bombs).
PT_EXPORT int pt_image_decode(const uint8_t* bytes, int length, int channels, int height, int width,
                              const float* mean, const float* std, const uint8_t* background, int max_side, float* out);
// The same pixels as pt_image_decode before scaling and normalisation: height x width x channels bytes.
PT_EXPORT int pt_image_preview(const uint8_t* bytes, int length, int channels, int height, int width,
                               const uint8_t* background, int max_side, uint8_t* out);
