"""Usage: parity.py bert|cnn MODEL_DIR INPUTS.safetensors OUT.safetensors

Loads the model folder written by the C# test, computes eval-mode logits, then runs one training
step (cross-entropy, clip_grad_norm_(1.0), AdamW with no decay on 1-D parameters) and writes the
logits, the loss and the updated state dict ("updated." + name) for the test to compare."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import st  # noqa: E402


def main(kind, folder, inputs_path, out_path):
    torch.set_num_threads(1)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    model = models.BertForSequenceClassification(config) if kind == "bert" else models.Cnn(config)
    state = st.load(os.path.join(folder, "model.safetensors"))
    model.load_state_dict(state, strict=True)
    inputs = st.load(inputs_path)
    hp = {k: v.item() for k, v in inputs.items() if k.startswith("hp.")}

    def forward():
        if kind == "bert":
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
    main(*sys.argv[1:5])
