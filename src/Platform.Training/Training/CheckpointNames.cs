using Platform.Training.Models.DistilBert;
using Platform.Training.Models.Text;
using Platform.Training.Torch;

namespace Platform.Training.Training;

/// <summary>Maps the tensor names of Hugging Face BERT and DistilBERT checkpoints onto our sequence classifiers'.</summary>
internal static class CheckpointNames
{
    private static readonly string[] BareEncoderPrefixes = ["embeddings.", "encoder.", "pooler."];
    private static readonly string[] BareDistilBertPrefixes = ["embeddings.", "transformer."];
    // DistilBertForMaskedLM's head (what distilbert-base-uncased holds): not part of a classifier.
    private static readonly string[] DistilBertMaskedLmHead = ["vocab_transform.", "vocab_layer_norm.", "vocab_projector."];

    /// <summary>The family's mapping (see the two overloads).</summary>
    public static Dictionary<string, Tensor> Normalise(ITextModelConfig config, IReadOnlyDictionary<string, Tensor> tensors, bool keepClassifier) =>
        config is DistilBertConfig ? NormaliseDistilBert(tensors, keepClassifier) : Normalise(tensors, keepClassifier);

    /// <summary>
    /// Tensors a base checkpoint may lack: they start from Hugging Face's initialisation, as
    /// from_pretrained does. The classification head (a bare encoder has none) and BERT's pooler
    /// (sentence-embedding checkpoints often ship without it).
    /// </summary>
    public static bool MayStartFromInitialisation(ITextModelConfig config, string name) => config is DistilBertConfig
        ? name.StartsWith("pre_classifier.", StringComparison.Ordinal) || name.StartsWith("classifier.", StringComparison.Ordinal)
        : name.StartsWith("bert.pooler.", StringComparison.Ordinal) || name.StartsWith("classifier.", StringComparison.Ordinal);

    /// <summary>
    /// Accepts DistilBertModel checkpoints (no "distilbert." prefix) and DistilBertForMaskedLM ones
    /// (drops the vocab_* head), and the position_ids buffer. Without <paramref name="keepClassifier"/>
    /// the classifier is dropped but a fine-tuned pre_classifier is kept: it is not label-specific.
    /// </summary>
    public static Dictionary<string, Tensor> NormaliseDistilBert(IReadOnlyDictionary<string, Tensor> tensors, bool keepClassifier)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (original, tensor) in tensors)
        {
            var name = original;
            if (BareDistilBertPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                name = "distilbert." + name;
            }

            if (DistilBertMaskedLmHead.Any(p => name.StartsWith(p, StringComparison.Ordinal)) || name.EndsWith("position_ids", StringComparison.Ordinal)
                || (!keepClassifier && name.StartsWith("classifier.", StringComparison.Ordinal)))
            {
                continue;
            }

            result[name] = tensor;
        }

        return result;
    }

    /// <summary>
    /// Accepts BertModel checkpoints (no "bert." prefix), pre-training checkpoints (drops the "cls." heads),
    /// TF-era LayerNorm gamma/beta names, and the position_ids buffer older versions saved.
    /// </summary>
    public static Dictionary<string, Tensor> Normalise(IReadOnlyDictionary<string, Tensor> tensors, bool keepClassifier)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (original, tensor) in tensors)
        {
            var name = original;
            if (BareEncoderPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                name = "bert." + name;
            }

            if (name.StartsWith("cls.", StringComparison.Ordinal) || name.EndsWith("position_ids", StringComparison.Ordinal)
                || (!keepClassifier && name.StartsWith("classifier.", StringComparison.Ordinal)))
            {
                continue;
            }

            if (name.Contains("LayerNorm.", StringComparison.Ordinal))
            {
                name = name.Replace("LayerNorm.gamma", "LayerNorm.weight", StringComparison.Ordinal)
                    .Replace("LayerNorm.beta", "LayerNorm.bias", StringComparison.Ordinal);
            }

            result[name] = tensor;
        }

        return result;
    }
}
