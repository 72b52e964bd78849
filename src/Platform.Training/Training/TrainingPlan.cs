using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Training.Models.Cnn;

namespace Platform.Training.Training;

/// <summary>Where training starts from; it decides the learning rate and how many epochs a preset means.</summary>
public enum ModelStart
{
    /// <summary>A text encoder whose weights were pre-trained (Hugging Face checkpoint, the platform's own pre-training).</summary>
    TextPretrained,

    /// <summary>A text encoder with random weights: it has to learn the language from the labelled data alone.</summary>
    TextFromScratch,

    /// <summary>A CNN preset: a fresh network.</summary>
    ImageFromScratch,

    /// <summary>A CNN model folder trained before.</summary>
    ImageContinued,
}

/// <summary>What the plan needs to know about the base model: where it starts and how wide it is.</summary>
/// <param name="Width">Hidden size of a text encoder (0 for a CNN).</param>
public sealed record BaseModelProfile(ModelStart Start, int Width = 0)
{
    /// <summary>Key a randomly initialised model folder carries in config.json until it has been trained.</summary>
    public const string UntrainedKey = "platform_untrained";

    /// <summary>Reads the profile of a base model: a CNN preset name or a model folder.</summary>
    public static BaseModelProfile Of(string baseModel)
    {
        if (CnnConfig.PresetNames.Contains(baseModel))
        {
            return new BaseModelProfile(ModelStart.ImageFromScratch);
        }

        if (baseModel == TabularClassifier.Preset)
        {
            // A network trained from random weights, like an image preset: the same epochs and rate.
            return new BaseModelProfile(ModelStart.ImageFromScratch);
        }

        if (ClassifierModel.DetectKind(baseModel) == ModelKind.Cnn)
        {
            return new BaseModelProfile(ModelStart.ImageContinued);
        }

        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(baseModel, ClassifierModel.ConfigFile)));
        var root = config.RootElement;
        var untrained = root.TryGetProperty(UntrainedKey, out var flag) && flag.ValueKind == JsonValueKind.True;
        var width = root.TryGetProperty("hidden_size", out var hidden) && hidden.TryGetInt32(out var h) ? h
            : root.TryGetProperty("dim", out var dim) && dim.TryGetInt32(out var d) ? d : 768;
        return new BaseModelProfile(untrained ? ModelStart.TextFromScratch : ModelStart.TextPretrained, width);
    }

    public bool IsText => Start is ModelStart.TextPretrained or ModelStart.TextFromScratch;
}

/// <summary>
/// A named training budget a user picks instead of hyper-parameters. The budget is a minimum number
/// of optimiser steps as well as a number of epochs, so a 300-row dataset gets enough updates to
/// learn anything (a fixed 3 epochs of it is 27 steps) and a large one is not trained for days.
/// </summary>
/// <param name="MinSteps">Optimiser steps the run takes at least (by adding epochs, up to <see cref="TrainingPlan.MaxEpochs"/>).</param>
/// <param name="Patience">Epochs without a better validation macro-F1 before stopping, once half of MinSteps are done; 0 never stops early.</param>
public sealed record TrainingPreset(
    string Name,
    string Description,
    int MinSteps,
    int PretrainedTextEpochs,
    int ScratchTextEpochs,
    int ImageEpochs,
    int Patience)
{
    public const string Default = "balanced";

    public static IReadOnlyList<TrainingPreset> All { get; } =
    [
        new("fast", "A quick first model: a short budget, no early stop.",
            MinSteps: 150, PretrainedTextEpochs: 2, ScratchTextEpochs: 4, ImageEpochs: 4, Patience: 0),
        new("balanced", "Good accuracy for the time: stops once validation macro-F1 stops improving.",
            MinSteps: 500, PretrainedTextEpochs: 3, ScratchTextEpochs: 10, ImageEpochs: 10, Patience: 3),
        new("best", "A longer budget for the last points of accuracy, stopped early the same way.",
            MinSteps: 1500, PretrainedTextEpochs: 5, ScratchTextEpochs: 25, ImageEpochs: 25, Patience: 5),
    ];

    public static TrainingPreset? Find(string? name) => All.FirstOrDefault(p => p.Name == (name ?? Default));

    public int EpochsFor(ModelStart start) => start switch
    {
        ModelStart.TextPretrained => PretrainedTextEpochs,
        ModelStart.TextFromScratch => ScratchTextEpochs,
        _ => ImageEpochs,
    };
}

/// <summary>
/// The concrete settings of a run: the preset's budget fitted to the data and the starting point,
/// with the user's explicit values kept. The launch form, the quota estimate, the job and the CLI
/// all resolve settings here, so what a user is shown is what trains.
/// </summary>
public sealed record TrainingPlan(
    [property: JsonPropertyName("preset")] string Preset,
    [property: JsonPropertyName("epochs")] int Epochs,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("learning_rate")] double LearningRate,
    [property: JsonPropertyName("weight_decay")] double WeightDecay,
    [property: JsonPropertyName("warmup_fraction")] double WarmupFraction,
    [property: JsonPropertyName("patience")] int Patience,
    [property: JsonPropertyName("min_steps_before_stopping")] int MinStepsBeforeStopping,
    [property: JsonPropertyName("steps_per_epoch")] int StepsPerEpoch)
{
    /// <summary>A budget never adds epochs beyond this, however small the data.</summary>
    public const int MaxEpochs = 200;

    /// <summary>No batch is smaller than this unless the user asks: smaller batches make noisy, slow steps.</summary>
    public const int MinBatchSize = 8;

    [JsonIgnore] public long TotalSteps => (long)Epochs * StepsPerEpoch;

    /// <summary>Resolves <paramref name="options"/> for <paramref name="trainCount"/> training examples.</summary>
    public static TrainingPlan Resolve(TrainingOptions options, BaseModelProfile model, int trainCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainCount);
        var preset = TrainingPreset.Find(options.Preset)
            ?? throw new ArgumentException($"unknown preset '{options.Preset}' (fast, balanced or best)");
        var batchSize = options.BatchSize ?? DefaultBatchSize(model, trainCount);
        var stepsPerEpoch = (trainCount + batchSize - 1) / batchSize;
        var epochs = options.Epochs ?? Math.Clamp(
            (preset.MinSteps + stepsPerEpoch - 1) / stepsPerEpoch, preset.EpochsFor(model.Start), Math.Max(MaxEpochs, preset.EpochsFor(model.Start)));
        return new TrainingPlan(
            preset.Name,
            epochs,
            batchSize,
            options.LearningRate ?? DefaultLearningRate(model),
            options.WeightDecay ?? (model.IsText ? 0.01 : 1e-4),
            options.WarmupFraction ?? (model.IsText ? 0.1 : 0),
            options.EarlyStoppingPatience ?? preset.Patience,
            // Half the budget: the first epochs of a small dataset are noise, but once it has had half its
            // steps a model past its best (3 epochs without gain) only over-fits further.
            options.MinStepsBeforeStopping ?? preset.MinSteps / 2,
            stepsPerEpoch);
    }

    /// <summary>
    /// 32 texts or 64 images, but at most a sixteenth of the data (rounded down to a power of two), so
    /// a small dataset still gets many updates per epoch.
    /// </summary>
    public static int DefaultBatchSize(BaseModelProfile model, int trainCount)
    {
        var preferred = model.IsText ? 32 : 64;
        var bound = (int)Math.Max(MinBatchSize, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, trainCount / 16 + 1)) / 2);
        return Math.Min(preferred, bound);
    }

    /// <summary>
    /// Fine-tuning a pre-trained encoder: 5e-5 at BERT-base width, higher for narrower encoders (which
    /// need it: bert-tiny at 5e-5 barely moves in three epochs), at most 2e-4. From scratch, a text
    /// encoder learns at 5e-4 and a CNN at 1e-3; a CNN trained before continues at 3e-4.
    /// </summary>
    public static double DefaultLearningRate(BaseModelProfile model) => model.Start switch
    {
        ModelStart.TextPretrained => 5e-5 * Math.Clamp(768.0 / Math.Max(1, model.Width), 1, 4),
        ModelStart.TextFromScratch => 5e-4,
        ModelStart.ImageFromScratch => 1e-3,
        _ => 3e-4,
    };
}
