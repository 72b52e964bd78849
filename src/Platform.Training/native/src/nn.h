#pragma once
// Neural-network functionals, the loss, and the optimiser kernels (AdamW, gradient clipping).
#include "tensor_handle.h"

PT_EXPORT Tensor pt_linear(Tensor input, Tensor weight, Tensor bias);
PT_EXPORT Tensor pt_layer_norm(Tensor input, const int64_t* shape, int ndim, Tensor weight, Tensor bias, double eps);
PT_EXPORT Tensor pt_embedding(Tensor weight, Tensor indices, int64_t padding_idx);
PT_EXPORT Tensor pt_dropout(Tensor input, double p, int train, Generator gen);
PT_EXPORT Tensor pt_conv2d(Tensor input, Tensor weight, Tensor bias, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int64_t groups);
PT_EXPORT Tensor pt_batch_norm(Tensor input, Tensor weight, Tensor bias, Tensor running_mean, Tensor running_var, int training, double momentum, double eps);
PT_EXPORT Tensor pt_max_pool2d(Tensor input, const int64_t* kernel, const int64_t* stride, const int64_t* padding);
PT_EXPORT Tensor pt_avg_pool2d(Tensor input, const int64_t* kernel, const int64_t* stride, const int64_t* padding);
PT_EXPORT Tensor pt_adaptive_avg_pool2d(Tensor input, const int64_t* output_size);
PT_EXPORT Tensor pt_adaptive_max_pool2d(Tensor input, const int64_t* output_size);
PT_EXPORT Tensor pt_cross_entropy(Tensor logits, Tensor target, double label_smoothing);
PT_EXPORT int pt_adamw_step(Tensor param, Tensor exp_avg, Tensor exp_avg_sq, double lr, double beta1, double beta2, double eps, double weight_decay, int64_t step);
PT_EXPORT int pt_clip_grad_norm(const Tensor* params, int count, double max_norm, double* total_norm);
