using Platform.Jobs.Catalog;
using Platform.Training.Pretraining;
using Platform.Training.Training;

namespace Platform.Jobs.Launch;

/// <summary>
/// The settings a pre-training launch runs with and what they cost; the form shows it and the launch
/// command checks the quota against it and stores its options. Like a fine-tuning preset, a budget is
/// a minimum number of optimiser steps as well as epochs: masked-LM training on a small corpus needs
/// many passes over it, on a large one a few. Each preset also has its own ceiling on the epochs the
/// step budget may add: with one ceiling for all, a small corpus reached it under every preset, so
/// "fast" trained exactly as long as "best".
/// </summary>
public sealed record PretrainingPlan(PretrainingOptions Options, long Parameters, long EstimatedSequences, int StepsPerEpoch)
{
    public const int DefaultMaxSequenceLength = 128;

    public const string DefaultPreset = "balanced";

    /// <summary>
    /// Per preset: minimum optimiser steps, minimum epochs and the most epochs the steps may add. Each
    /// number grows from fast to best, so on any corpus fast trains for fewer epochs than balanced and
    /// balanced for fewer than best.
    /// </summary>
    private static readonly Dictionary<string, (int MinSteps, int Epochs, int MaxEpochs)> Budgets = new()
    {
        ["fast"] = (300, 3, 30),
        ["balanced"] = (1500, 5, 100),
        ["best"] = (5000, 10, MaxEpochs),
    };

    /// <summary>The most epochs a plan takes, whatever the preset or the request says.</summary>
    public const int MaxEpochs = 200;

    public long TotalSteps => (long)Options.Epochs * StepsPerEpoch;

    /// <param name="characters">The corpus's training characters (mean length x training documents).</param>
    /// <param name="baseModel">The catalog model to continue from; null starts from scratch at <paramref name="size"/>.</param>
    public static PretrainingPlan For(LaunchPretrainingRequest request, BaseModel? baseModel, string size, long characters)
    {
        var maxLength = request.MaxSequenceLength ?? DefaultMaxSequenceLength;
        var batch = request.BatchSize ?? 32;
        // About four characters a WordPiece token; documents are packed into full sequences.
        var sequences = Math.Max(1, (long)Math.Ceiling(characters / 4.0 / Math.Max(1, maxLength - 2)));
        var stepsPerEpoch = (int)Math.Max(1, (sequences + batch - 1) / batch);
        var (minSteps, presetEpochs, maxEpochs) = Budgets.GetValueOrDefault(request.Preset ?? DefaultPreset, Budgets[DefaultPreset]);
        var epochs = request.Epochs ?? Math.Clamp((minSteps + stepsPerEpoch - 1) / stepsPerEpoch, presetEpochs, maxEpochs);
        var options = new PretrainingOptions
        {
            Epochs = epochs,
            BatchSize = batch,
            LearningRate = request.LearningRate ?? (baseModel is null ? 5e-4 : 1e-4),
            MaxSequenceLength = maxLength,
            VocabularySize = request.VocabularySize ?? 8000,
            Seed = request.Seed,
            Device = "auto",
        };
        return new PretrainingPlan(options, baseModel?.Parameters ?? ParametersOf(size, options.VocabularySize), sequences, stepsPerEpoch);
    }

    /// <summary>A request without a preset (an API client that sends null) gets the form's default.</summary>
    public static bool IsKnownPreset(string? preset) => Budgets.ContainsKey(preset ?? DefaultPreset);

    /// <summary>The device-time estimate: about six operations per parameter per token, as for fine-tuning.</summary>
    public JobEstimate Estimate(string deviceKind) =>
        JobEstimate.For(Parameters, EstimatedSequences, Options.Epochs, Options.BatchSize, Options.MaxSequenceLength, deviceKind);

    /// <summary>Encoder plus embeddings of a size from scratch (the masked-LM head adds little).</summary>
    public static long ParametersOf(string size, int vocabularySize)
    {
        var config = PretrainingSizes.Config(size);
        long h = config.HiddenSize, layers = config.NumHiddenLayers, inner = config.IntermediateSize;
        var perLayer = 4 * (h * h + h) + 2 * h * inner + inner + h + 4 * h;
        return layers * perLayer + (vocabularySize + config.MaxPositionEmbeddings + 2) * h + 2 * h;
    }
}
