using Platform.Training.Torch;

namespace Platform.Training.Training;

/// <summary>Maps the tensor names of Hugging Face BERT checkpoints onto BertForSequenceClassification's.</summary>
internal static class CheckpointNames
{
    private static readonly string[] BareEncoderPrefixes = ["embeddings.", "encoder.", "pooler."];

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
