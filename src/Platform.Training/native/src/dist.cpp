#define USE_C10D_GLOO 1
#include "dist.h"
#include <chrono>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

struct PtStore {
  c10::intrusive_ptr<c10d::Store> store;
};

struct PtGroup {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::chrono::milliseconds timeout;
};

namespace {

// Waits with the group's timeout: a peer that died or stopped answering fails this rank instead
// of hanging it. Gloo's own timeout (the Options) usually fires first with a clearer message.
template <typename W>
void finish(const W& work, const PtGroup* g) {
  if (!work->wait(g->timeout)) throw std::runtime_error("collective did not complete");
}

at::Tensor target_of(const at::Tensor& t, bool of_grads) {
  if (!of_grads) return t;
  auto& grad = t.mutable_grad();
  if (!grad.defined()) grad = at::zeros_like(t);
  return grad;
}

// One flat tensor holding all targets, so one collective moves them (fewer, larger messages).
at::Tensor flatten(const std::vector<at::Tensor>& targets) {
  std::vector<at::Tensor> flat;
  flat.reserve(targets.size());
  for (const auto& t : targets) flat.push_back(t.reshape({-1}));
  return at::cat(flat);
}

void unflatten(const at::Tensor& bucket, std::vector<at::Tensor>& targets) {
  int64_t offset = 0;
  for (auto& t : targets) {
    auto n = t.numel();
    t.copy_(bucket.narrow(0, offset, n).view_as(t));
    offset += n;
  }
}

std::vector<at::Tensor> targets_of(const Tensor* tensors, int count, bool of_grads) {
  std::vector<at::Tensor> targets;
  targets.reserve(count);
  for (int i = 0; i < count; i++) targets.push_back(target_of(*tensors[i], of_grads));
  return targets;
}

}  // namespace

PT_EXPORT DistStore pt_dist_store_new(const char* host, int port, int is_master, int world_size, int64_t timeout_ms) {
  PT_CATCH(nullptr,
    if (port < 1 || port > 65535) throw std::invalid_argument("port must be in [1, 65535]");
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = is_master != 0;
    options.numWorkers = static_cast<std::size_t>(world_size);
    // The process group's rendezvous waits for every rank (with the same timeout); waiting here too
    // would only block the master twice.
    options.waitWorkers = false;
    options.timeout = std::chrono::milliseconds(timeout_ms);
    auto store = c10::make_intrusive<c10d::TCPStore>(std::string(host), options);
    return new PtStore{store};)
}

PT_EXPORT void pt_dist_store_free(DistStore store) { delete store; }

PT_EXPORT DistGroup pt_dist_group_new(DistStore store, int rank, int world_size, const char* interface,
                                      const char* hostname, int64_t timeout_ms) {
  PT_CATCH(nullptr,
    auto timeout = std::chrono::milliseconds(timeout_ms);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    if (interface != nullptr && interface[0] != '\0') {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    } else if (hostname != nullptr && hostname[0] != '\0') {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    // One thread runs the collectives: this process's cores belong to the training step.
    options->threads = 1;
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store->store, rank, world_size, options);
    return new PtGroup{group, timeout};)
}

PT_EXPORT void pt_dist_group_free(DistGroup group) { delete group; }

PT_EXPORT int pt_dist_all_reduce(DistGroup group, const Tensor* tensors, int count, int of_grads, double scale) {
  PT_CATCH(0,
    at::NoGradGuard no_grad;
    if (count <= 0) return 1;
    auto targets = targets_of(tensors, count, of_grads != 0);
    std::vector<at::Tensor> bucket{flatten(targets)};
    // AllreduceOptions' default operation is the sum.
    finish(group->group->allreduce(bucket, c10d::AllreduceOptions()), group);
    if (scale != 1.0) bucket[0].mul_(scale);
    unflatten(bucket[0], targets);
    return 1;)
}

PT_EXPORT int pt_dist_broadcast(DistGroup group, const Tensor* tensors, int count, int root) {
  PT_CATCH(0,
    at::NoGradGuard no_grad;
    if (count <= 0) return 1;
    auto targets = targets_of(tensors, count, false);
    std::vector<at::Tensor> bucket{flatten(targets)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    finish(group->group->broadcast(bucket, options), group);
    unflatten(bucket[0], targets);
    return 1;)
}

PT_EXPORT int pt_dist_barrier(DistGroup group) {
  PT_CATCH(0,
    finish(group->group->barrier(c10d::BarrierOptions()), group);
    return 1;)
}
