"""Usage: parity.py bert|distilbert|cnn MODEL_DIR INPUTS.safetensors OUT.safetensors [BASE.safetensors]

Loads the model folder written by the C# test, computes eval-mode logits, then runs one training
step (cross-entropy, clip_grad_norm_(1.0), AdamW with no decay on 1-D parameters) and writes the
logits, the loss and the updated state dict ("updated." + name) for the test to compare.

With BASE (a bare encoder checkpoint as the Hub ships it: BertModel or DistilBertModel names, no
head, maybe no pooler) every tensor BASE has is taken from it under transformers' prefixed name, and
only what it lacks from MODEL_DIR: the C# side must have loaded BASE's weights to agree."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import st  # noqa: E402


PREFIX = {"bert": "bert.", "distilbert": "distilbert."}
MASKED_LM_HEADS = ("cls.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector.")


def main(kind, folder, inputs_path, out_path, base_path=None):
    torch.set_num_threads(1)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    if kind == "bert":
        model = models.BertForSequenceClassification(config)
    elif kind == "distilbert":
        model = models.DistilBertForSequenceClassification(config)
    else:
        model = models.Cnn(config)
    state = st.load(os.path.join(folder, "model.safetensors"))
    if base_path is not None:
        for name, t in st.load(base_path).items():
            if name.endswith("position_ids") or name.startswith(MASKED_LM_HEADS):
                continue
            state[name if name.startswith(PREFIX[kind]) else PREFIX[kind] + name] = t
    model.load_state_dict(state, strict=True)
    inputs = st.load(inputs_path)
    hp = {k: v.item() for k, v in inputs.items() if k.startswith("hp.")}

    def forward():
        if kind in ("bert", "distilbert"):
            return model(inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"])
        return model(inputs["images"])

    model.eval()
    with torch.no_grad():
        logits = forward()

    model.train()
    params = list(model.named_parameters())
    groups = [{"params": [p for _, p in params if p.dim() > 1], "weight_decay": hp["hp.weight_decay"]},
              {"params": [p for _, p in params if p.dim() <= 1], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=hp["hp.lr"])
    loss = torch.nn.functional.cross_entropy(forward(), inputs["labels"])
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), hp["hp.max_norm"])
    optimizer.step()

    out = {"logits": logits, "loss": loss.detach().reshape(1), "grad_norm": norm.detach().reshape(1)}
    for name, t in model.state_dict().items():
        out["updated." + name] = t
    st.save(out_path, out)


if __name__ == "__main__":
    main(*sys.argv[1:6])
