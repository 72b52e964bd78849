using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Bert;

/// <summary>
/// One encoder layer with Hugging Face's module nesting (attention.self, attention.output,
/// intermediate, output) flattened into one class; the registered names keep the nesting.
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
        Tensor scores;
        using (var q = Heads(query.Forward(hidden), batch, seq))
        using (var k = Heads(key.Forward(hidden), batch, seq))
        using (var kt = k.Transpose(-1, -2))
        {
            scores = q.MatMul(kt);
        }
        var scale = 1.0 / Math.Sqrt(headSize);
        var probs = Then(Then(Then(scores, s => s * scale), s => s + extendedMask), s => s.Softmax(-1));
        probs = Then(probs, attentionDropout.Forward);
        Tensor context;
        using (var v = Heads(value.Forward(hidden), batch, seq))
        {
            context = Then(probs, p => p.MatMul(v));
        }
        var merged = Then(Then(context, c => c.Permute(0, 2, 1, 3)), c => c.Reshape(batch, seq, heads * headSize));
        var projected = Then(Then(merged, attentionDense.Forward), hiddenDropout.Forward);
        var attended = Then(Then(projected, p => p + hidden), attentionNorm.Forward);
        using (attended)
        {
            var inner = Then(Then(intermediate.Forward(attended), i => i.Gelu()), outputDense.Forward);
            var outer = Then(Then(inner, hiddenDropout.Forward), o => o + attended);
            return Then(outer, outputNorm.Forward);
        }
    }

    /// <summary>
    /// Applies <paramref name="op"/> and frees <paramref name="input"/> at once, so intermediates live
    /// no longer than in PyTorch (autograd keeps its own references to what backward needs).
    /// </summary>
    private static Tensor Then(Tensor input, Func<Tensor, Tensor> op)
    {
        using (input)
        {
            return op(input);
        }
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
