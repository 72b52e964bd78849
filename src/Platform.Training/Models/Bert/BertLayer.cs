using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Bert;

/// <summary>
/// One encoder layer with Hugging Face's module nesting (attention.self, attention.output,
/// intermediate, output) flattened into one class; the registered names keep the nesting.
/// Temporaries are disposed eagerly: autograd keeps its own references, so peak memory matches PyTorch.
/// </summary>
internal sealed class BertLayer : Module
{
    private readonly int heads;
    private readonly int headSize;
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear attentionDense;
    private readonly LayerNorm attentionNorm;
    private readonly Linear intermediate;
    private readonly Linear outputDense;
    private readonly LayerNorm outputNorm;
    private readonly Dropout attentionDropout;
    private readonly Dropout hiddenDropout;

    public BertLayer(BertConfig config)
    {
        heads = config.NumAttentionHeads;
        headSize = config.HiddenSize / heads;
        var attention = RegisterModule("attention", new Container());
        var self = attention.Add("self", new Container());
        query = self.Add("query", new Linear(config.HiddenSize, config.HiddenSize));
        key = self.Add("key", new Linear(config.HiddenSize, config.HiddenSize));
        value = self.Add("value", new Linear(config.HiddenSize, config.HiddenSize));
        var attentionOutput = attention.Add("output", new Container());
        attentionDense = attentionOutput.Add("dense", new Linear(config.HiddenSize, config.HiddenSize));
        attentionNorm = attentionOutput.Add("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        intermediate = RegisterModule("intermediate", new Container()).Add("dense", new Linear(config.HiddenSize, config.IntermediateSize));
        var output = RegisterModule("output", new Container());
        outputDense = output.Add("dense", new Linear(config.IntermediateSize, config.HiddenSize));
        outputNorm = output.Add("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        attentionDropout = RegisterModule("attention_dropout", new Dropout(config.AttentionProbsDropoutProb));
        hiddenDropout = RegisterModule("hidden_dropout", new Dropout(config.HiddenDropoutProb));
    }

    /// <param name="hidden">[batch, seq, hidden]</param>
    /// <param name="extendedMask">[batch, 1, 1, seq]: 0 where attended, a large negative where masked.</param>
    public Tensor Forward(Tensor hidden, Tensor extendedMask)
    {
        var batch = hidden.Size(0);
        var seq = hidden.Size(1);
        using var q = Heads(query.Forward(hidden), batch, seq);
        using var k = Heads(key.Forward(hidden), batch, seq);
        using var v = Heads(value.Forward(hidden), batch, seq);
        using var kt = k.Transpose(-1, -2);
        using var raw = q.MatMul(kt);
        using var scaled = raw * (1.0 / Math.Sqrt(headSize));
        using var masked = scaled + extendedMask;
        using var probs = masked.Softmax(-1);
        using var dropped = attentionDropout.Forward(probs);
        using var context = dropped.MatMul(v);
        using var merged = context.Permute(0, 2, 1, 3);
        using var flat = merged.Reshape(batch, seq, heads * headSize);
        using var projected = attentionDense.Forward(flat);
        using var projectedDropped = hiddenDropout.Forward(projected);
        using var residual1 = projectedDropped + hidden;
        using var attended = attentionNorm.Forward(residual1);
        using var inner = intermediate.Forward(attended);
        using var activated = inner.Gelu();
        using var outer = outputDense.Forward(activated);
        using var outerDropped = hiddenDropout.Forward(outer);
        using var residual2 = outerDropped + attended;
        return outputNorm.Forward(residual2);
    }

    private Tensor Heads(Tensor projected, long batch, long seq)
    {
        using (projected)
        {
            using var split = projected.View(batch, seq, heads, headSize);
            return split.Permute(0, 2, 1, 3);
        }
    }
}

/// <summary>A named level in the module tree with no computation of its own.</summary>
internal sealed class Container : Module
{
    public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
}
