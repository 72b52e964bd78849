#pragma once
// Handles are heap-allocated at::Tensor objects: the managed side owns exactly one reference each.
#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <vector>
#include "common.h"

typedef at::Tensor* Tensor;

// A run's own random generator (heap-allocated at::Generator): concurrent runs in one process draw
// from their own streams instead of libtorch's one default generator.
typedef at::Generator* Generator;

#define PT_TENSOR(expr) PT_CATCH(nullptr, return new at::Tensor(expr);)

inline c10::optional<at::Tensor> pt_optional(Tensor t) {
  if (t == nullptr) return c10::nullopt;
  return *t;
}

// The run's generator for draws on the CPU; a CUDA tensor draws from its device's own generator
// (one device per worker slot), and a call without a generator from libtorch's default one.
inline c10::optional<at::Generator> pt_gen(Generator g, const at::Device& device) {
  if (g == nullptr || !device.is_cpu()) return c10::nullopt;
  return *g;
}

inline at::IntArrayRef pt_dims(const int64_t* values, int count) {
  return at::IntArrayRef(values, static_cast<size_t>(count));
}

inline at::TensorOptions pt_options(int dtype, int device_type, int device_index) {
  auto device = device_type == 1 ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index))
                                 : at::Device(at::kCPU);
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device);
}

inline std::vector<at::Tensor> pt_list(const Tensor* tensors, int count) {
  std::vector<at::Tensor> list;
  list.reserve(count);
  for (int i = 0; i < count; i++) list.push_back(*tensors[i]);
  return list;
}
