#pragma once
// Data-parallel collectives over libtorch's c10d: a TCPStore for the rendezvous and a
// ProcessGroupGloo for all-reduce, broadcast and barrier (decision 0043). Handles are heap-allocated
// holders of c10d's intrusive pointers; the managed side owns exactly one of each.
#include "tensor_handle.h"

typedef struct PtStore* DistStore;
typedef struct PtGroup* DistGroup;

// Rank 0 is the master (it listens on host:port); the others connect, retrying until timeout_ms.
PT_EXPORT DistStore pt_dist_store_new(const char* host, int port, int is_master, int world_size, int64_t timeout_ms);
PT_EXPORT void pt_dist_store_free(DistStore store);

// A Gloo process group over the store. The Gloo device binds to `interface` when given (a network
// interface name), else to the address `hostname` resolves to, else to this machine's hostname
// (loopback when that does not resolve). Blocks until every rank has joined or timeout_ms passes.
PT_EXPORT DistGroup pt_dist_group_new(DistStore store, int rank, int world_size, const char* interface,
                                      const char* hostname, int64_t timeout_ms);
PT_EXPORT void pt_dist_group_free(DistGroup group);

// Sums the tensors over all ranks in place, as one flattened bucket, then multiplies them by scale.
// With of_grads, the tensors are parameters and their gradients are reduced (a missing gradient
// counts as zeros and is created). All tensors must share one dtype and device.
PT_EXPORT int pt_dist_all_reduce(DistGroup group, const Tensor* tensors, int count, int of_grads, double scale);

// Overwrites the tensors on every rank with root's, as one flattened bucket.
PT_EXPORT int pt_dist_broadcast(DistGroup group, const Tensor* tensors, int count, int root);

PT_EXPORT int pt_dist_barrier(DistGroup group);
