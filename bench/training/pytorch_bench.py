"""PyTorch 1.13 (Debian python3-torch, the same libtorch) side of the training-step benchmark.
Same models (tests/.../Parity/py/models.py), shapes, optimiser, clipping and thread count as TrainingBench.
Usage: /usr/bin/python3 pytorch_bench.py bert|cnn [--threads N] [--steps N] [--warmup N] [--batch N]"""
import argparse
import os
import sys
import time

import ctypes

import torch

# The C# side raises glibc's mmap/trim thresholds when it loads the shim (NativeMethods.cs,
# pt_set_malloc_thresholds); the peer gets the same allocator settings, or the ratio measures
# malloc, not the binding. PLATFORM_TORCH_MALLOC=default leaves both sides on glibc's defaults.
if os.environ.get("PLATFORM_TORCH_MALLOC") != "default":
    _libc = ctypes.CDLL("libc.so.6")
    _M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
    _libc.mallopt(_M_MMAP_THRESHOLD, 64 << 20)
    _libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "Platform.Training.Tests", "Parity", "py"))
import models  # noqa: E402


def workload(name, batch):
    torch.manual_seed(0)
    if name == "bert":
        batch = batch or 32
        c = dict(vocab_size=30522, hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
                 max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0,
                 hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, id2label={str(i): str(i) for i in range(4)})
        model = models.BertForSequenceClassification(c)
        ids = torch.randint(1, 30522, (batch, 128))
        mask = torch.ones(batch, 128, dtype=torch.long)
        types = torch.zeros(batch, 128, dtype=torch.long)
        labels = torch.randint(0, 4, (batch,))
        return model, (lambda: model(ids, mask, types)), labels, batch
    batch = batch or 128
    c = dict(architecture="simple_cnn", in_channels=1, image_height=28, image_width=28, channels=[32, 64], convs_per_stage=2,
             hidden_size=128, conv_dropout=0.1, dropout=0.3, id2label={str(i): str(i) for i in range(10)})
    model = models.Cnn(c)
    images = torch.randn(batch, 1, 28, 28)
    labels = torch.randint(0, 10, (batch,))
    return model, (lambda: model(images)), labels, batch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workload")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, forward, labels, batch = workload(a.workload, a.batch)
    model.train()
    params = list(model.named_parameters())
    optimizer = torch.optim.AdamW([{"params": [q for _, q in params if q.dim() > 1], "weight_decay": 0.01},
                                   {"params": [q for _, q in params if q.dim() <= 1], "weight_decay": 0.0}], lr=1e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(forward(), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(a.warmup):
        step()
    times = []
    cpu_start = time.process_time()
    for _ in range(a.steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    cpu_per_step = (time.process_time() - cpu_start) / a.steps
    times.sort()
    median = times[len(times) // 2]
    print(f"pytorch {a.workload} batch={batch} steps={a.steps} median_step_s={median:.4f} samples_per_s={batch / median:.1f} min_step_s={times[0]:.4f}"
          f" cpu_s_per_step={cpu_per_step:.4f}")


if __name__ == "__main__":
    main()
