#pragma once
// Tensor lifetime, creation from and copy to raw buffers, queries, autograd plumbing and the
// process-wide settings (seed, threads, RNG state, grad mode, CUDA).
#include "tensor_handle.h"

PT_EXPORT void pt_tensor_free(Tensor t);
PT_EXPORT Tensor pt_tensor_from_data(const void* data, const int64_t* shape, int ndim, int dtype, int device_type, int device_index);
PT_EXPORT int pt_tensor_copy_to(Tensor t, void* dst, int64_t numel, int dtype);
PT_EXPORT Tensor pt_tensor_zeros(const int64_t* shape, int ndim, int dtype, int device_type, int device_index);
PT_EXPORT Tensor pt_tensor_ones(const int64_t* shape, int ndim, int dtype, int device_type, int device_index);
PT_EXPORT Tensor pt_tensor_full(const int64_t* shape, int ndim, double value, int dtype, int device_type, int device_index);
PT_EXPORT Tensor pt_tensor_randn(const int64_t* shape, int ndim, int dtype, int device_type, int device_index, Generator gen);
PT_EXPORT Tensor pt_tensor_rand(const int64_t* shape, int ndim, int dtype, int device_type, int device_index, Generator gen);
PT_EXPORT Tensor pt_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int dtype, int device_type, int device_index, Generator gen);
PT_EXPORT Tensor pt_tensor_arange(int64_t end, int dtype, int device_type, int device_index);
PT_EXPORT Tensor pt_tensor_randperm(int64_t n, int device_type, int device_index, Generator gen);
PT_EXPORT int pt_tensor_ndim(Tensor t);
PT_EXPORT int pt_tensor_shape(Tensor t, int64_t* out);
PT_EXPORT int64_t pt_tensor_numel(Tensor t);
PT_EXPORT int pt_tensor_dtype(Tensor t);
PT_EXPORT int pt_tensor_device(Tensor t, int* type, int* index);
PT_EXPORT int pt_tensor_item(Tensor t, double* out);
PT_EXPORT int pt_tensor_item_long(Tensor t, int64_t* out);
PT_EXPORT Tensor pt_tensor_to(Tensor t, int dtype, int device_type, int device_index);
PT_EXPORT Tensor pt_tensor_clone(Tensor t);
PT_EXPORT Tensor pt_tensor_detach(Tensor t);
PT_EXPORT int pt_tensor_requires_grad(Tensor t);
PT_EXPORT int pt_tensor_set_requires_grad(Tensor t, int requires);
PT_EXPORT int pt_tensor_grad(Tensor t, Tensor* out);
PT_EXPORT int pt_tensor_zero_grad(Tensor t);
PT_EXPORT int pt_tensor_backward(Tensor t);
PT_EXPORT int pt_tensor_zero_(Tensor t);
PT_EXPORT int pt_tensor_fill_(Tensor t, double value);
PT_EXPORT int pt_tensor_normal_(Tensor t, double mean, double std, Generator gen);
PT_EXPORT int pt_tensor_uniform_(Tensor t, double from, double to, Generator gen);
PT_EXPORT int pt_tensor_copy_(Tensor dst, Tensor src);
PT_EXPORT int pt_tensor_set_data(Tensor dst, Tensor src);
PT_EXPORT int pt_tensor_add_scalar_(Tensor t, double value);
PT_EXPORT int pt_tensor_allclose(Tensor a, Tensor b, double rtol, double atol);

PT_EXPORT int pt_cuda_device_count();
PT_EXPORT int pt_manual_seed(uint64_t seed);
PT_EXPORT int pt_set_num_threads(int threads);
PT_EXPORT int pt_get_num_threads();
PT_EXPORT int pt_grad_enabled();
PT_EXPORT int pt_set_grad_enabled(int enabled);
PT_EXPORT Tensor pt_rng_get_state();
PT_EXPORT int pt_rng_set_state(Tensor state);
PT_EXPORT Generator pt_generator_new(uint64_t seed);
PT_EXPORT void pt_generator_free(Generator gen);
PT_EXPORT Tensor pt_generator_get_state(Generator gen);
PT_EXPORT int pt_generator_set_state(Generator gen, Tensor state);
PT_EXPORT int pt_cuda_manual_seed(int device_index, uint64_t seed);
