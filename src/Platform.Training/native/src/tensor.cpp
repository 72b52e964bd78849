#include "tensor.h"
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <cstring>
#include <mutex>

PT_EXPORT void pt_tensor_free(Tensor t) { delete t; }

PT_EXPORT Tensor pt_tensor_from_data(const void* data, const int64_t* shape, int ndim, int dtype, int device_type, int device_index) {
  PT_CATCH(nullptr,
    auto cpu = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
    // from_blob borrows the managed buffer, so clone before the caller's span goes away.
    auto t = at::from_blob(const_cast<void*>(data), pt_dims(shape, ndim), cpu).clone();
    if (device_type != 0) t = t.to(pt_options(dtype, device_type, device_index).device());
    return new at::Tensor(std::move(t));)
}

PT_EXPORT int pt_tensor_copy_to(Tensor t, void* dst, int64_t numel, int dtype) {
  PT_CATCH(0,
    TORCH_CHECK(t->numel() == numel, "copy_to: tensor has ", t->numel(), " elements, buffer holds ", numel);
    auto src = t->detach().to(at::kCPU, static_cast<at::ScalarType>(dtype)).contiguous();
    std::memcpy(dst, src.data_ptr(), static_cast<size_t>(numel) * src.element_size());
    return 1;)
}

PT_EXPORT Tensor pt_tensor_zeros(const int64_t* shape, int ndim, int dtype, int device_type, int device_index) {
  PT_TENSOR(at::zeros(pt_dims(shape, ndim), pt_options(dtype, device_type, device_index)))
}
PT_EXPORT Tensor pt_tensor_ones(const int64_t* shape, int ndim, int dtype, int device_type, int device_index) {
  PT_TENSOR(at::ones(pt_dims(shape, ndim), pt_options(dtype, device_type, device_index)))
}
PT_EXPORT Tensor pt_tensor_full(const int64_t* shape, int ndim, double value, int dtype, int device_type, int device_index) {
  PT_TENSOR(at::full(pt_dims(shape, ndim), value, pt_options(dtype, device_type, device_index)))
}
PT_EXPORT Tensor pt_tensor_randn(const int64_t* shape, int ndim, int dtype, int device_type, int device_index, Generator gen) {
  auto options = pt_options(dtype, device_type, device_index);
  PT_TENSOR(at::randn(pt_dims(shape, ndim), pt_gen(gen, options.device()), options))
}
PT_EXPORT Tensor pt_tensor_rand(const int64_t* shape, int ndim, int dtype, int device_type, int device_index, Generator gen) {
  auto options = pt_options(dtype, device_type, device_index);
  PT_TENSOR(at::rand(pt_dims(shape, ndim), pt_gen(gen, options.device()), options))
}
PT_EXPORT Tensor pt_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int dtype, int device_type, int device_index, Generator gen) {
  auto options = pt_options(dtype, device_type, device_index);
  PT_TENSOR(at::randint(low, high, pt_dims(shape, ndim), pt_gen(gen, options.device()), options))
}
PT_EXPORT Tensor pt_tensor_arange(int64_t end, int dtype, int device_type, int device_index) {
  PT_TENSOR(at::arange(end, pt_options(dtype, device_type, device_index)))
}
PT_EXPORT Tensor pt_tensor_randperm(int64_t n, int device_type, int device_index, Generator gen) {
  auto options = pt_options(static_cast<int>(at::kLong), device_type, device_index);
  PT_TENSOR(at::randperm(n, pt_gen(gen, options.device()), options))
}

PT_EXPORT int pt_tensor_ndim(Tensor t) { PT_CATCH(-1, return static_cast<int>(t->dim());) }
PT_EXPORT int pt_tensor_shape(Tensor t, int64_t* out) {
  PT_CATCH(0, auto sizes = t->sizes(); std::copy(sizes.begin(), sizes.end(), out); return 1;)
}
PT_EXPORT int64_t pt_tensor_numel(Tensor t) { PT_CATCH(-1, return t->numel();) }
PT_EXPORT int pt_tensor_dtype(Tensor t) { PT_CATCH(-1, return static_cast<int>(t->scalar_type());) }
PT_EXPORT int pt_tensor_device(Tensor t, int* type, int* index) {
  PT_CATCH(0,
    auto d = t->device();
    *type = d.is_cuda() ? 1 : 0;
    *index = d.has_index() ? d.index() : 0;
    return 1;)
}
PT_EXPORT int pt_tensor_item(Tensor t, double* out) { PT_CATCH(0, *out = t->item<double>(); return 1;) }
PT_EXPORT int pt_tensor_item_long(Tensor t, int64_t* out) { PT_CATCH(0, *out = t->item<int64_t>(); return 1;) }

PT_EXPORT Tensor pt_tensor_to(Tensor t, int dtype, int device_type, int device_index) {
  PT_TENSOR(t->to(pt_options(dtype, device_type, device_index)))
}
PT_EXPORT Tensor pt_tensor_clone(Tensor t) { PT_TENSOR(t->clone()) }
PT_EXPORT Tensor pt_tensor_detach(Tensor t) { PT_TENSOR(t->detach()) }
PT_EXPORT int pt_tensor_requires_grad(Tensor t) { PT_CATCH(-1, return t->requires_grad() ? 1 : 0;) }
PT_EXPORT int pt_tensor_set_requires_grad(Tensor t, int requires) {
  PT_CATCH(0, t->set_requires_grad(requires != 0); return 1;)
}
PT_EXPORT int pt_tensor_grad(Tensor t, Tensor* out) {
  PT_CATCH(0,
    const auto& g = t->grad();
    *out = g.defined() ? new at::Tensor(g) : nullptr;
    return 1;)
}
PT_EXPORT int pt_tensor_zero_grad(Tensor t) {
  // Dropping the gradient (set_to_none) matches PyTorch's default and saves a memset per step.
  PT_CATCH(0, t->mutable_grad().reset(); return 1;)
}
PT_EXPORT int pt_tensor_backward(Tensor t) { PT_CATCH(0, t->backward(); return 1;) }
PT_EXPORT int pt_tensor_zero_(Tensor t) { PT_CATCH(0, t->zero_(); return 1;) }
PT_EXPORT int pt_tensor_fill_(Tensor t, double value) { PT_CATCH(0, t->fill_(value); return 1;) }
PT_EXPORT int pt_tensor_normal_(Tensor t, double mean, double std, Generator gen) {
  PT_CATCH(0, t->normal_(mean, std, pt_gen(gen, t->device())); return 1;)
}
PT_EXPORT int pt_tensor_uniform_(Tensor t, double from, double to, Generator gen) {
  PT_CATCH(0, t->uniform_(from, to, pt_gen(gen, t->device())); return 1;)
}
PT_EXPORT int pt_tensor_copy_(Tensor dst, Tensor src) { PT_CATCH(0, dst->copy_(*src); return 1;) }
// Swaps the storage behind a parameter (device or dtype moves) while keeping its identity, as
// torch.nn.Module._apply does with `param.data = ...`.
PT_EXPORT int pt_tensor_set_data(Tensor dst, Tensor src) { PT_CATCH(0, dst->set_data(*src); return 1;) }
PT_EXPORT int pt_tensor_add_scalar_(Tensor t, double value) {
  // An integral tensor (e.g. num_batches_tracked) refuses a floating scalar in an in-place add.
  PT_CATCH(0,
    if (at::isIntegralType(t->scalar_type(), true)) t->add_(static_cast<int64_t>(value));
    else t->add_(value);
    return 1;)
}
PT_EXPORT int pt_tensor_allclose(Tensor a, Tensor b, double rtol, double atol) {
  PT_CATCH(-1, return at::allclose(*a, *b, rtol, atol) ? 1 : 0;)
}

PT_EXPORT int pt_cuda_device_count() {
  PT_CATCH(-1,
    if (!at::globalContext().hasCUDA()) return 0;
    return static_cast<int>(at::detail::getCUDAHooks().getNumGPUs());)
}
PT_EXPORT int pt_manual_seed(uint64_t seed) {
  PT_CATCH(0,
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    int gpus = at::globalContext().hasCUDA() ? static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()) : 0;
    for (int i = 0; i < gpus; i++) {
      auto gen = at::detail::getCUDAHooks().getDefaultCUDAGenerator(i);
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    return 1;)
}
PT_EXPORT int pt_set_num_threads(int threads) { PT_CATCH(0, at::set_num_threads(threads); return 1;) }
PT_EXPORT int pt_get_num_threads() { PT_CATCH(-1, return at::get_num_threads();) }
PT_EXPORT int pt_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }
PT_EXPORT int pt_set_grad_enabled(int enabled) {
  int previous = c10::GradMode::is_enabled() ? 1 : 0;
  c10::GradMode::set_enabled(enabled != 0);
  return previous;
}
PT_EXPORT Tensor pt_rng_get_state() {
  PT_CATCH(nullptr,
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return new at::Tensor(gen.get_state());)
}
PT_EXPORT int pt_rng_set_state(Tensor state) {
  PT_CATCH(0,
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(*state);
    return 1;)
}

PT_EXPORT Generator pt_generator_new(uint64_t seed) {
  PT_CATCH(nullptr, return new at::Generator(at::make_generator<at::CPUGeneratorImpl>(seed));)
}
PT_EXPORT void pt_generator_free(Generator gen) { delete gen; }
PT_EXPORT Tensor pt_generator_get_state(Generator gen) {
  PT_CATCH(nullptr,
    std::lock_guard<std::mutex> lock(gen->mutex());
    return new at::Tensor(gen->get_state());)
}
PT_EXPORT int pt_generator_set_state(Generator gen, Tensor state) {
  PT_CATCH(0,
    std::lock_guard<std::mutex> lock(gen->mutex());
    gen->set_state(*state);
    return 1;)
}
// Seeds one GPU's generator: the run that owns that device draws its CUDA randomness from it.
PT_EXPORT int pt_cuda_manual_seed(int device_index, uint64_t seed) {
  PT_CATCH(0,
    if (!at::globalContext().hasCUDA()) return 1;
    auto gen = at::detail::getCUDAHooks().getDefaultCUDAGenerator(static_cast<c10::DeviceIndex>(device_index));
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
    return 1;)
}
