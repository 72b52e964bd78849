using Platform.Training.Models.Text;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Bert;

/// <summary>
/// Hugging Face's BertForSequenceClassification: same computation, same tensor names
/// (bert.embeddings.*, bert.encoder.layer.N.*, bert.pooler.dense.*, classifier.*), so its
/// state dict loads from and saves to a Hugging Face model.safetensors unchanged.
/// </summary>
public sealed class BertForSequenceClassification : TextSequenceClassifier
{
    // Saved by transformers before 4.31 as a persistent buffer; it is just arange(max_positions).
    private static readonly HashSet<string> IgnoredCheckpointNames = new(StringComparer.Ordinal) { "bert.embeddings.position_ids" };

    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public BertForSequenceClassification(BertConfig config)
    {
        config.Validate();
        // What the saved state dict is, whatever the base checkpoint was (BertForMaskedLM, BertModel).
        config.Architectures = ["BertForSequenceClassification"];
        Config = config;
        bert = RegisterModule("bert", new BertModel(config));
        dropout = RegisterModule("dropout", new Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb));
        classifier = RegisterModule("classifier", new Linear(config.HiddenSize, config.NumLabels));
        InitWeights();
    }

    public BertConfig Config { get; }

    public override ITextModelConfig TextConfig => Config;

    /// <summary>Reads config.json and model.safetensors of a Hugging Face-layout folder.</summary>
    public static BertForSequenceClassification Load(string folder)
    {
        var model = new BertForSequenceClassification(BertConfig.Load(Path.Combine(folder, ModelFolder.ConfigFile)));
        try
        {
            ModelFolder.LoadWeights(folder, model.LoadCheckpoint);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Writes config.json and model.safetensors (vocab.txt belongs to the tokenizer).</summary>
    public override void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        Config.Save(Path.Combine(folder, ModelFolder.ConfigFile));
        ModelFolder.SaveWeights(this, folder);
    }

    /// <summary>
    /// Logits [batch, num_labels]. <paramref name="inputIds"/>, <paramref name="attentionMask"/> (1 = token,
    /// 0 = padding) and <paramref name="tokenTypeIds"/> (zeros when null) are int64 [batch, seq].
    /// </summary>
    public override Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null)
    {
        var ownTypes = tokenTypeIds is null ? Tensor.Zeros(inputIds.Shape, ScalarType.Int64, inputIds.Device) : null;
        try
        {
            using var pooled = bert.Forward(inputIds, attentionMask, tokenTypeIds ?? ownTypes!);
            using var dropped = dropout.Forward(pooled);
            return classifier.Forward(dropped);
        }
        finally
        {
            ownTypes?.Dispose();
        }
    }

    /// <summary>Loads a checkpoint's tensors (e.g. from model.safetensors), ignoring names Hugging Face no longer uses.</summary>
    public void LoadCheckpoint(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var relevant = tensors.Where(kv => !IgnoredCheckpointNames.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        LoadStateDict(relevant);
    }

    /// <summary>Hugging Face's BertPreTrainedModel._init_weights.</summary>
    private void InitWeights()
    {
        using var noGrad = Torch.Torch.NoGrad();
        var std = Config.InitializerRange;
        foreach (var (name, tensor) in NamedParameters())
        {
            if (name.Contains("LayerNorm", StringComparison.Ordinal))
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
        using var padRow = bert.StateDict()["embeddings.word_embeddings.weight"].Select(0, Config.PadTokenId);
        padRow.Zero_();
    }
}
