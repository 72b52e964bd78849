#pragma once
// Element-wise maths, reductions and shape operations. All are autograd-aware.
#include "tensor_handle.h"

PT_EXPORT Tensor pt_add(Tensor a, Tensor b);
PT_EXPORT Tensor pt_sub(Tensor a, Tensor b);
PT_EXPORT Tensor pt_mul(Tensor a, Tensor b);
PT_EXPORT Tensor pt_div(Tensor a, Tensor b);
PT_EXPORT Tensor pt_add_scalar(Tensor a, double b);
PT_EXPORT Tensor pt_mul_scalar(Tensor a, double b);
PT_EXPORT Tensor pt_pow_scalar(Tensor a, double b);
PT_EXPORT Tensor pt_rsub_scalar(Tensor a, double b);
PT_EXPORT Tensor pt_neg(Tensor a);
PT_EXPORT Tensor pt_exp(Tensor a);
PT_EXPORT Tensor pt_log(Tensor a);
PT_EXPORT Tensor pt_sqrt(Tensor a);
PT_EXPORT Tensor pt_abs(Tensor a);
PT_EXPORT Tensor pt_tanh(Tensor a);
PT_EXPORT Tensor pt_sigmoid(Tensor a);
PT_EXPORT Tensor pt_relu(Tensor a);
PT_EXPORT Tensor pt_gelu(Tensor a);
PT_EXPORT Tensor pt_matmul(Tensor a, Tensor b);
PT_EXPORT Tensor pt_softmax(Tensor a, int64_t dim);
PT_EXPORT Tensor pt_log_softmax(Tensor a, int64_t dim);
PT_EXPORT Tensor pt_sum(Tensor a);
PT_EXPORT Tensor pt_sum_dim(Tensor a, int64_t dim, int keepdim);
PT_EXPORT Tensor pt_mean(Tensor a);
PT_EXPORT Tensor pt_mean_dim(Tensor a, int64_t dim, int keepdim);
PT_EXPORT Tensor pt_max(Tensor a);
PT_EXPORT Tensor pt_argmax(Tensor a, int64_t dim, int keepdim);
PT_EXPORT Tensor pt_eq(Tensor a, Tensor b);
PT_EXPORT Tensor pt_reshape(Tensor a, const int64_t* shape, int ndim);
PT_EXPORT Tensor pt_view(Tensor a, const int64_t* shape, int ndim);
PT_EXPORT Tensor pt_permute(Tensor a, const int64_t* dims, int ndim);
PT_EXPORT Tensor pt_transpose(Tensor a, int64_t dim0, int64_t dim1);
PT_EXPORT Tensor pt_flatten(Tensor a, int64_t start, int64_t end);
PT_EXPORT Tensor pt_unsqueeze(Tensor a, int64_t dim);
PT_EXPORT Tensor pt_squeeze(Tensor a, int64_t dim);
PT_EXPORT Tensor pt_contiguous(Tensor a);
PT_EXPORT Tensor pt_select(Tensor a, int64_t dim, int64_t index);
PT_EXPORT Tensor pt_slice(Tensor a, int64_t dim, int64_t start, int64_t end, int64_t step);
PT_EXPORT Tensor pt_cat(const Tensor* tensors, int count, int64_t dim);
PT_EXPORT Tensor pt_stack(const Tensor* tensors, int count, int64_t dim);
PT_EXPORT Tensor pt_index_select(Tensor a, int64_t dim, Tensor index);
PT_EXPORT Tensor pt_masked_fill(Tensor a, Tensor mask, double value);
PT_EXPORT Tensor pt_flip(Tensor a, const int64_t* dims, int ndim);
