"""Usage: mlm.py MODEL_DIR INPUTS.safetensors OUT.safetensors

The masked-LM reference: Hugging Face's BertForMaskedLM maths in plain torch (transformers is not
installed). The encoder is models.Bert; the head is BertLMPredictionHead: dense, erf gelu,
LayerNorm, then the decoder, whose weight IS the word embedding matrix (tied), plus its own bias.
Writes eval-mode logits for every position, then one training step (cross-entropy on the labels,
-100 ignored, clip_grad_norm_, AdamW without decay on 1-D parameters): the loss, the gradient norm
and the updated state dict ("updated." + name)."""
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import st  # noqa: E402


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class Cls(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = models.Bert(c)
        self.cls = Cls(c)

    def forward(self, ids, mask, types):
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        h = self.bert.embeddings(ids, types)
        for layer in self.bert.encoder.layer:
            h = layer(h, ext)
        p = self.cls.predictions
        t = p.transform.LayerNorm(F.gelu(p.transform.dense(h)))
        return F.linear(t, self.bert.embeddings.word_embeddings.weight) + p.bias


def main(folder, inputs_path, out_path):
    torch.set_num_threads(1)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    model = BertForMaskedLM(config)
    model.load_state_dict(st.load(os.path.join(folder, "model.safetensors")), strict=True)
    inputs = st.load(inputs_path)
    hp = {k: v.item() for k, v in inputs.items() if k.startswith("hp.")}

    def forward():
        return model(inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"])

    model.eval()
    with torch.no_grad():
        logits = forward()

    model.train()
    params = list(model.named_parameters())
    groups = [{"params": [p for _, p in params if p.dim() > 1], "weight_decay": hp["hp.weight_decay"]},
              {"params": [p for _, p in params if p.dim() <= 1], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=hp["hp.lr"])
    out = forward()
    loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), inputs["labels"].reshape(-1), ignore_index=-100)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), hp["hp.max_norm"])
    optimizer.step()

    result = {"logits": logits, "loss": loss.detach().reshape(1), "grad_norm": norm.detach().reshape(1)}
    for name, t in model.state_dict().items():
        result["updated." + name] = t
    st.save(out_path, result)


if __name__ == "__main__":
    main(*sys.argv[1:4])
