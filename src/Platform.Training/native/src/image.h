#pragma once
// Image decoding (PNG, JPEG, BMP, GIF first frame) through stb_image, independent of ATen so this
// translation unit compiles in a second. The managed side turns the float buffer into a tensor.
#include "common.h"

PT_EXPORT int pt_image_info(const uint8_t* bytes, int length, int* width, int* height, int* channels);
PT_EXPORT int pt_image_decode(const uint8_t* bytes, int length, int channels, int height, int width,
                              const float* mean, const float* std, float* out);
