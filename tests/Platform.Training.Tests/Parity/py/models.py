"""Reference models in plain torch: the same computations as transformers' BertForSequenceClassification,
DistilBertForSequenceClassification and the platform's CNN, with the same parameter names, so a state
dict loads with strict=True."""
import math

import torch
import torch.nn.functional as F
from torch import nn


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.size = c["hidden_size"] // self.heads
        self.query = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.key = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.value = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.size).permute(0, 2, 1, 3)

    def forward(self, h, mask):
        q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.size) + mask
        ctx = self.dropout(scores.softmax(-1)) @ v
        b, _, s, _ = ctx.shape
        return ctx.permute(0, 2, 1, 3).reshape(b, s, self.heads * self.size)


class DenseNorm(nn.Module):
    def __init__(self, c, inner):
        super().__init__()
        self.dense = nn.Linear(inner, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = DenseNorm(c, c["hidden_size"])


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c, c["intermediate_size"])

    def forward(self, h, mask):
        a = self.attention.output(self.attention.self(h, mask), h)
        return self.output(F.gelu(self.intermediate.dense(a)), a)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        e = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(e))


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        p = c.get("classifier_dropout")
        self.dropout = nn.Dropout(c["hidden_dropout_prob"] if p is None else p)
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, ids, mask, types):
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        h = self.bert.embeddings(ids, types)
        for layer in self.bert.encoder.layer:
            h = layer(h, ext)
        pooled = torch.tanh(self.bert.pooler.dense(h[:, 0]))
        return self.classifier(self.dropout(pooled))


class DistilEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["dim"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["dim"])
        self.LayerNorm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.dropout = nn.Dropout(c["dropout"])

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        return self.dropout(self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos)))


class MultiHeadSelfAttention(nn.Module):
    """transformers' eager MultiHeadSelfAttention: queries scaled first, padding filled with finfo.min."""

    def __init__(self, c):
        super().__init__()
        self.n_heads = c["n_heads"]
        self.dim = c["dim"]
        self.q_lin = nn.Linear(c["dim"], c["dim"])
        self.k_lin = nn.Linear(c["dim"], c["dim"])
        self.v_lin = nn.Linear(c["dim"], c["dim"])
        self.out_lin = nn.Linear(c["dim"], c["dim"])
        self.dropout = nn.Dropout(c["attention_dropout"])

    def forward(self, x, mask):
        bs, k_length, _ = x.shape
        d = self.dim // self.n_heads

        def shape(t):
            return t.view(bs, -1, self.n_heads, d).transpose(1, 2)

        q, k, v = shape(self.q_lin(x)), shape(self.k_lin(x)), shape(self.v_lin(x))
        q = q / math.sqrt(d)
        scores = torch.matmul(q, k.transpose(2, 3))
        m = (mask == 0).view(bs, 1, 1, k_length).expand_as(scores)
        scores = scores.masked_fill(m, torch.tensor(torch.finfo(scores.dtype).min))
        weights = self.dropout(F.softmax(scores, dim=-1))
        context = torch.matmul(weights, v).transpose(1, 2).contiguous().view(bs, -1, self.n_heads * d)
        return self.out_lin(context)


class FFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lin1 = nn.Linear(c["dim"], c["hidden_dim"])
        self.lin2 = nn.Linear(c["hidden_dim"], c["dim"])
        self.dropout = nn.Dropout(c["dropout"])
        self.activation = F.relu if c["activation"] == "relu" else F.gelu

    def forward(self, x):
        return self.dropout(self.lin2(self.activation(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.ffn = FFN(c)
        self.output_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, x, mask):
        sa = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(c) for _ in range(c["n_layers"])])


class DistilBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = DistilEmbeddings(c)
        self.transformer = Transformer(c)


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.distilbert = DistilBert(c)
        self.pre_classifier = nn.Linear(c["dim"], c["dim"])
        self.classifier = nn.Linear(c["dim"], len(c["id2label"]))
        self.dropout = nn.Dropout(c["seq_classif_dropout"])

    def forward(self, ids, mask, types=None):
        h = self.distilbert.embeddings(ids)
        for layer in self.distilbert.transformer.layer:
            h = layer(h, mask)
        pooled = self.dropout(F.relu(self.pre_classifier(h[:, 0])))
        return self.classifier(pooled)


class ConvBn(nn.Module):
    def __init__(self, cin, cout, k=3, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x, relu=True):
        y = self.bn(self.conv(x))
        return F.relu(y) if relu else y


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBn(cin, cout, 3, stride)
        self.conv2 = ConvBn(cout, cout)
        self.shortcut = ConvBn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x, relu=False)
        return F.relu(self.conv2(self.conv1(x), relu=False) + s)


class Cnn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.conv_dropout = nn.Dropout(c["conv_dropout"])
        self.dropout = nn.Dropout(c["dropout"])
        self.stages = nn.ModuleList()
        if c["architecture"] == "simple_cnn":
            cin = c["in_channels"]
            for width in c["channels"]:
                convs = nn.ModuleList()
                for _ in range(c["convs_per_stage"]):
                    convs.append(ConvBn(cin, width))
                    cin = width
                self.stages.append(convs)
            n = len(c["channels"])
            features = cin * (c["image_height"] >> n) * (c["image_width"] >> n)
        else:
            self.stem = ConvBn(c["in_channels"], c["channels"][0])
            cin = c["channels"][0]
            for i, width in enumerate(c["channels"]):
                self.stages.append(BasicBlock(cin, width, 1 if i == 0 else 2))
                cin = width
            features = cin
        self.hidden = nn.Linear(features, c["hidden_size"]) if c["hidden_size"] > 0 else None
        self.classifier = nn.Linear(c["hidden_size"] if self.hidden is not None else features, len(c["id2label"]))

    def forward(self, x):
        if self.c["architecture"] == "simple_cnn":
            for convs in self.stages:
                for conv in convs:
                    x = conv(x)
                x = self.conv_dropout(F.max_pool2d(x, 2))
        else:
            x = self.stem(x)
            for block in self.stages:
                x = block(x)
            x = F.adaptive_avg_pool2d(x, 1)
        x = x.flatten(1)
        if self.hidden is not None:
            x = F.relu(self.hidden(x))
        return self.classifier(self.dropout(x))
