using Platform.Training.Models.Text;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.DistilBert;

/// <summary>
/// Hugging Face's DistilBertForSequenceClassification: same computation, same tensor names
/// (distilbert.embeddings.*, distilbert.transformer.layer.N.*, pre_classifier.*, classifier.*), so its
/// state dict loads from and saves to a Hugging Face model.safetensors unchanged. The head reads the
/// first token's hidden state through pre_classifier and a ReLU (there is no pooler).
/// </summary>
public sealed class DistilBertForSequenceClassification : TextSequenceClassifier
{
    private readonly DistilBertModel distilbert;
    private readonly Linear preClassifier;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public DistilBertForSequenceClassification(DistilBertConfig config)
    {
        config.Validate();
        // What the saved state dict is, whatever the base checkpoint was (DistilBertForMaskedLM, DistilBertModel).
        config.Architectures = ["DistilBertForSequenceClassification"];
        Config = config;
        distilbert = RegisterModule("distilbert", new DistilBertModel(config));
        preClassifier = RegisterModule("pre_classifier", new Linear(config.Dim, config.Dim));
        classifier = RegisterModule("classifier", new Linear(config.Dim, config.NumLabels));
        dropout = RegisterModule("dropout", new Dropout(config.SeqClassifDropout));
        InitWeights();
    }

    public DistilBertConfig Config { get; }

    public override ITextModelConfig TextConfig => Config;

    /// <summary>Reads config.json and model.safetensors of a Hugging Face-layout folder (every tensor present).</summary>
    public static DistilBertForSequenceClassification Load(string folder)
    {
        var model = new DistilBertForSequenceClassification(DistilBertConfig.Load(Path.Combine(folder, ModelFolder.ConfigFile)));
        try
        {
            ModelFolder.LoadWeights(folder, tensors => model.LoadStateDict(
                tensors.Where(kv => !kv.Key.EndsWith("position_ids", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal)));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public override void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        Config.Save(Path.Combine(folder, ModelFolder.ConfigFile));
        ModelFolder.SaveWeights(this, folder);
    }

    /// <summary>Logits [batch, num_labels]; DistilBERT has no token types, so <paramref name="tokenTypeIds"/> is ignored.</summary>
    public override Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        using var hidden = distilbert.Forward(inputIds, attentionMask);
        using var first = hidden.Select(1, 0);
        using var projected = preClassifier.Forward(first);
        using var activated = projected.Relu();
        using var dropped = dropout.Forward(activated);
        return classifier.Forward(dropped);
    }

    /// <summary>Hugging Face's DistilBertPreTrainedModel._init_weights (learned position embeddings).</summary>
    private void InitWeights()
    {
        using var noGrad = Torch.Torch.NoGrad();
        var std = Config.InitializerRange;
        foreach (var (name, tensor) in NamedParameters())
        {
            if (name.Contains("layer_norm", StringComparison.Ordinal) || name.Contains("LayerNorm", StringComparison.Ordinal))
            {
                tensor.Fill_(name.EndsWith(".weight", StringComparison.Ordinal) ? 1.0 : 0.0);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                tensor.Zero_();
            }
            else
            {
                tensor.Normal_(0, std);
            }
        }
        using var padRow = distilbert.StateDict()["embeddings.word_embeddings.weight"].Select(0, Config.PadTokenId);
        padRow.Zero_();
    }
}

/// <summary>Embeddings and transformer: Hugging Face's DistilBertModel (registered as "distilbert").</summary>
internal sealed class DistilBertModel : Module
{
    private readonly DistilBertEmbeddings embeddings;
    private readonly List<DistilBertLayer> layers = [];

    public DistilBertModel(DistilBertConfig config)
    {
        embeddings = RegisterModule("embeddings", new DistilBertEmbeddings(config));
        var transformerLayers = RegisterModule("transformer", new Bert.Container()).Add("layer", new Bert.Container());
        for (var i = 0; i < config.Layers; i++)
        {
            layers.Add(transformerLayers.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new DistilBertLayer(config)));
        }
    }

    /// <returns>The last hidden states, [batch, seq, dim].</returns>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask)
    {
        // Hugging Face fills masked scores with finfo(float32).min: true where a key is padding.
        using var zero = Tensor.Zeros([], attentionMask.DType, attentionMask.Device);
        using var padding = attentionMask.Eq(zero);
        using var keyMask = padding.View(attentionMask.Size(0), 1, 1, attentionMask.Size(1));
        var hidden = embeddings.Forward(inputIds);
        foreach (var layer in layers)
        {
            using var previous = hidden;
            hidden = layer.Forward(previous, keyMask);
        }
        return hidden;
    }
}

internal sealed class DistilBertEmbeddings : Module
{
    private readonly Embedding words;
    private readonly Embedding positions;
    private readonly LayerNorm norm;
    private readonly Dropout dropout;

    public DistilBertEmbeddings(DistilBertConfig config)
    {
        words = RegisterModule("word_embeddings", new Embedding(config.VocabSize, config.Dim, config.PadTokenId));
        positions = RegisterModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.Dim));
        norm = RegisterModule("LayerNorm", new LayerNorm(config.Dim, config.LayerNormEps));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout));
    }

    public Tensor Forward(Tensor inputIds)
    {
        using var positionIds = Tensor.Arange(inputIds.Size(1), ScalarType.Int64, inputIds.Device);
        using var w = words.Forward(inputIds);
        using var p = positions.Forward(positionIds);
        using var sum = w + p;
        using var normed = norm.Forward(sum);
        return dropout.Forward(normed);
    }
}

/// <summary>Hugging Face's TransformerBlock: attention (q_lin, k_lin, v_lin, out_lin), sa_layer_norm, ffn (lin1, lin2), output_layer_norm.</summary>
internal sealed class DistilBertLayer : Module
{
    private readonly int heads;
    private readonly int headSize;
    private readonly bool relu;
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear output;
    private readonly LayerNorm attentionNorm;
    private readonly Linear lin1;
    private readonly Linear lin2;
    private readonly LayerNorm outputNorm;
    private readonly Dropout attentionDropout;
    private readonly Dropout hiddenDropout;

    public DistilBertLayer(DistilBertConfig config)
    {
        heads = config.Heads;
        headSize = config.Dim / heads;
        relu = config.Activation == "relu";
        var attention = RegisterModule("attention", new Bert.Container());
        query = attention.Add("q_lin", new Linear(config.Dim, config.Dim));
        key = attention.Add("k_lin", new Linear(config.Dim, config.Dim));
        value = attention.Add("v_lin", new Linear(config.Dim, config.Dim));
        output = attention.Add("out_lin", new Linear(config.Dim, config.Dim));
        attentionDropout = attention.Add("dropout", new Dropout(config.AttentionDropout));
        attentionNorm = RegisterModule("sa_layer_norm", new LayerNorm(config.Dim, config.LayerNormEps));
        var ffn = RegisterModule("ffn", new Bert.Container());
        lin1 = ffn.Add("lin1", new Linear(config.Dim, config.HiddenDim));
        lin2 = ffn.Add("lin2", new Linear(config.HiddenDim, config.Dim));
        hiddenDropout = ffn.Add("dropout", new Dropout(config.Dropout));
        outputNorm = RegisterModule("output_layer_norm", new LayerNorm(config.Dim, config.LayerNormEps));
    }

    /// <param name="hidden">[batch, seq, dim]</param>
    /// <param name="keyMask">[batch, 1, 1, seq] bool: true where the key is padding.</param>
    public Tensor Forward(Tensor hidden, Tensor keyMask)
    {
        var batch = hidden.Size(0);
        var seq = hidden.Size(1);
        Tensor scores;
        // Hugging Face scales the queries before the product, not the scores after it.
        using (var q = Then(Heads(query.Forward(hidden), batch, seq), x => x / Math.Sqrt(headSize)))
        using (var k = Heads(key.Forward(hidden), batch, seq))
        using (var kt = k.Transpose(-1, -2))
        {
            scores = q.MatMul(kt);
        }
        var probs = Then(Then(scores, s => s.MaskedFill(keyMask, float.MinValue)), s => s.Softmax(-1));
        probs = Then(probs, attentionDropout.Forward);
        Tensor context;
        using (var v = Heads(value.Forward(hidden), batch, seq))
        {
            context = Then(probs, p => p.MatMul(v));
        }
        var merged = Then(Then(context, c => c.Permute(0, 2, 1, 3)), c => c.Reshape(batch, seq, heads * headSize));
        var attended = Then(Then(Then(merged, output.Forward), a => a + hidden), attentionNorm.Forward);
        using (attended)
        {
            var inner = Then(lin1.Forward(attended), i => relu ? i.Relu() : i.Gelu());
            var outer = Then(Then(Then(inner, lin2.Forward), hiddenDropout.Forward), o => o + attended);
            return Then(outer, outputNorm.Forward);
        }
    }

    /// <summary>Applies <paramref name="op"/> and frees <paramref name="input"/> at once (as in BertLayer).</summary>
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
            using var view = projected.View(batch, seq, heads, headSize);
            return view.Permute(0, 2, 1, 3);
        }
    }
}
