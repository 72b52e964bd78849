#include "nn.h"
#include <c10/core/GradMode.h>
#include <cmath>

PT_EXPORT Tensor pt_linear(Tensor input, Tensor weight, Tensor bias) { PT_TENSOR(at::linear(*input, *weight, pt_optional(bias))) }
PT_EXPORT Tensor pt_layer_norm(Tensor input, const int64_t* shape, int ndim, Tensor weight, Tensor bias, double eps) {
  PT_TENSOR(at::layer_norm(*input, pt_dims(shape, ndim), pt_optional(weight), pt_optional(bias), eps))
}
PT_EXPORT Tensor pt_embedding(Tensor weight, Tensor indices, int64_t padding_idx) {
  PT_TENSOR(at::embedding(*weight, *indices, padding_idx))
}
PT_EXPORT Tensor pt_dropout(Tensor input, double p, int train, Generator gen) {
  PT_CATCH(nullptr,
    auto g = pt_gen(gen, input->device());
    if (!g.has_value() || train == 0 || p <= 0) return new at::Tensor(at::dropout(*input, p, train != 0));
    TORCH_CHECK(p <= 1, "dropout probability has to be between 0 and 1, but got ", p);
    if (p == 1) return new at::Tensor(*input * at::zeros_like(*input));
    // at::dropout's CPU path, with the run's generator: keep each element with probability 1 - p, scale the kept.
    auto keep = at::empty_like(*input).bernoulli_(1 - p, g);
    return new at::Tensor(*input * keep.div_(1 - p));)
}
PT_EXPORT Tensor pt_conv2d(Tensor input, Tensor weight, Tensor bias, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int64_t groups) {
  PT_TENSOR(at::conv2d(*input, *weight, pt_optional(bias), pt_dims(stride, 2), pt_dims(padding, 2), pt_dims(dilation, 2), groups))
}
PT_EXPORT Tensor pt_batch_norm(Tensor input, Tensor weight, Tensor bias, Tensor running_mean, Tensor running_var, int training, double momentum, double eps) {
  PT_TENSOR(at::batch_norm(*input, pt_optional(weight), pt_optional(bias), pt_optional(running_mean), pt_optional(running_var),
                           training != 0, momentum, eps, at::globalContext().userEnabledCuDNN()))
}
PT_EXPORT Tensor pt_max_pool2d(Tensor input, const int64_t* kernel, const int64_t* stride, const int64_t* padding) {
  PT_TENSOR(at::max_pool2d(*input, pt_dims(kernel, 2), pt_dims(stride, 2), pt_dims(padding, 2)))
}
PT_EXPORT Tensor pt_avg_pool2d(Tensor input, const int64_t* kernel, const int64_t* stride, const int64_t* padding) {
  PT_TENSOR(at::avg_pool2d(*input, pt_dims(kernel, 2), pt_dims(stride, 2), pt_dims(padding, 2)))
}
PT_EXPORT Tensor pt_adaptive_avg_pool2d(Tensor input, const int64_t* output_size) {
  PT_TENSOR(at::adaptive_avg_pool2d(*input, pt_dims(output_size, 2)))
}
PT_EXPORT Tensor pt_adaptive_max_pool2d(Tensor input, const int64_t* output_size) {
  PT_TENSOR(std::get<0>(at::adaptive_max_pool2d(*input, pt_dims(output_size, 2))))
}
PT_EXPORT Tensor pt_cross_entropy(Tensor logits, Tensor target, double label_smoothing) {
  PT_TENSOR(at::cross_entropy_loss(*logits, *target, {}, at::Reduction::Mean, -100, label_smoothing))
}

// The single-tensor AdamW of torch.optim (1.13 and 2.x), step by step, so results match PyTorch.
PT_EXPORT int pt_adamw_step(Tensor param, Tensor exp_avg, Tensor exp_avg_sq, double lr, double beta1, double beta2, double eps, double weight_decay, int64_t step) {
  PT_CATCH(0,
    at::NoGradGuard no_grad;
    const auto& grad = param->grad();
    if (!grad.defined()) return 1;
    param->mul_(1.0 - lr * weight_decay);
    exp_avg->mul_(beta1).add_(grad, 1.0 - beta1);
    exp_avg_sq->mul_(beta2).addcmul_(grad, grad, 1.0 - beta2);
    double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    double bias_correction2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    double step_size = lr / bias_correction1;
    auto denom = (exp_avg_sq->sqrt() / std::sqrt(bias_correction2)).add_(eps);
    param->addcdiv_(*exp_avg, denom, -step_size);
    return 1;)
}

// torch.nn.utils.clip_grad_norm_ with the L2 norm.
PT_EXPORT int pt_clip_grad_norm(const Tensor* params, int count, double max_norm, double* total_norm) {
  PT_CATCH(0,
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> norms;
    std::vector<at::Tensor> grads;
    for (int i = 0; i < count; i++) {
      const auto& g = params[i]->grad();
      if (!g.defined()) continue;
      grads.push_back(g);
      norms.push_back(g.norm(2));
    }
    if (grads.empty()) { *total_norm = 0.0; return 1; }
    auto total = at::stack(norms).norm(2);
    auto clip_coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
    for (auto& g : grads) g.mul_(clip_coef.to(g.device()));
    *total_norm = total.item<double>();
    return 1;)
}
