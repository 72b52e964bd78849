"""scikit-learn's one-vs-rest ROC / precision-recall on the logits a test wrote (JSON in, JSON out).

Usage: curves.py INPUT.json OUTPUT.json; INPUT holds {"truth": [..], "logits": [[..], ..]}.
The softmax is taken here in float64 from the same float32 logits, as the platform does.
"""
import json
import sys

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

with open(sys.argv[1]) as f:
    data = json.load(f)
truth = np.array(data["truth"])
logits = np.array(data["logits"], dtype=np.float32).astype(np.float64)
probs = np.exp(logits - logits.max(axis=1, keepdims=True))
probs /= probs.sum(axis=1, keepdims=True)
out = {"per_class": []}
for c in range(probs.shape[1]):
    y = (truth == c).astype(int)
    entry = {"positives": int(y.sum())}
    if 0 < y.sum() < len(y):
        fpr, tpr, thr = roc_curve(y, probs[:, c])
        entry.update(roc_auc=auc(fpr, tpr), roc_auc_score=roc_auc_score(y, probs[:, c]),
                     fpr=fpr.tolist(), tpr=tpr.tolist(), roc_thresholds=thr[1:].tolist())
    if y.sum() > 0:
        p, r, t = precision_recall_curve(y, probs[:, c])
        entry.update(average_precision=average_precision_score(y, probs[:, c]),
                     precision=p.tolist(), recall=r.tolist(), pr_thresholds=t.tolist())
    out["per_class"].append(entry)
if all(e["positives"] > 0 for e in out["per_class"]):
    out["macro_ovr"] = roc_auc_score(truth, probs, multi_class="ovr", average="macro") if probs.shape[1] > 2 \
        else roc_auc_score(truth, probs[:, 1])
with open(sys.argv[2], "w") as f:
    json.dump(out, f)
