using Platform.Training.Models.Bert;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Training.Pretraining;

/// <summary>Loads a base folder's weights into a <see cref="BertForMaskedLM"/> to continue pre-training it.</summary>
internal static class MaskedLmWeights
{
    private const string HeadPrefix = "cls.predictions.";

    /// <summary>
    /// The encoder must be complete. The pooler (absent from Hugging Face's BertForMaskedLM checkpoints)
    /// and the masked-LM head (absent from a classifier's folder) keep their initialisation when the
    /// folder has none; a head is taken whole or not at all. The decoder weight is the word embedding
    /// matrix, so a stored cls.predictions.decoder.* is not read; NSP heads and classifiers are dropped.
    /// </summary>
    public static void LoadInto(BertForMaskedLM model, string folder, Device device, Action<string>? log)
    {
        var file = Path.Combine(folder, ClassifierModel.WeightsFile);
        var tensors = ClassifierModel.ReadWeights(folder, device);
        try
        {
            var weights = CheckpointNames.Normalise(tensors, keepClassifier: false);
            foreach (var (name, tensor) in tensors)
            {
                if (name.StartsWith(HeadPrefix, StringComparison.Ordinal) && !name.StartsWith(HeadPrefix + "decoder.", StringComparison.Ordinal))
                {
                    weights[name.Replace("LayerNorm.gamma", "LayerNorm.weight", StringComparison.Ordinal)
                        .Replace("LayerNorm.beta", "LayerNorm.bias", StringComparison.Ordinal)] = tensor;
                }
            }

            var expected = model.StateDict().Keys.ToList();
            var missing = expected.Where(name => !weights.ContainsKey(name)).ToList();
            var head = expected.Where(name => name.StartsWith(HeadPrefix, StringComparison.Ordinal)).ToList();
            var headMissing = missing.Count(name => name.StartsWith(HeadPrefix, StringComparison.Ordinal));
            if (headMissing > 0 && headMissing < head.Count)
            {
                throw new InvalidDataException($"{file}: the masked-LM head is incomplete (missing '{missing.First(n => n.StartsWith(HeadPrefix, StringComparison.Ordinal))}')");
            }

            var encoderMissing = missing.Where(name => !name.StartsWith(HeadPrefix, StringComparison.Ordinal) && !name.StartsWith("bert.pooler.", StringComparison.Ordinal)).ToList();
            if (encoderMissing.Count > 0)
            {
                throw new InvalidDataException($"{file}: missing tensor '{encoderMissing[0]}' ({encoderMissing.Count} missing)");
            }

            if (headMissing > 0)
            {
                log?.Invoke("the base model has no masked-LM head: it starts from its initialisation");
            }

            if (missing.Any(name => name.StartsWith("bert.pooler.", StringComparison.Ordinal)))
            {
                log?.Invoke("the base model has no pooler: it starts from its initialisation (masked-LM training does not use it)");
            }

            try
            {
                model.LoadStateDict(weights.Where(kv => expected.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), strict: false);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{file}: {e.Message}", e);
            }
        }
        finally
        {
            ClassifierModel.DisposeAll(tensors);
        }
    }
}
