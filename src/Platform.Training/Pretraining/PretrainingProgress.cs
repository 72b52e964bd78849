using System.Text.Json.Serialization;

namespace Platform.Training.Pretraining;

/// <summary>
/// After every optimiser step. <see cref="Loss"/> is the step's mean cross-entropy over its selected
/// tokens (<see cref="Perplexity"/> = e^Loss); <see cref="ValidationPerplexity"/> is the latest
/// held-out measurement (null before the first).
/// </summary>
public sealed record PretrainingProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    int Epochs,
    double Loss,
    double LearningRate,
    double SequencesPerSecond,
    TimeSpan EstimatedRemaining,
    double? ValidationPerplexity)
{
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>Held-out masked-LM loss (mean cross-entropy per selected token), its perplexity and the share of selected tokens predicted exactly.</summary>
public sealed record PretrainingEvaluation(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("masked_accuracy")] double MaskedAccuracy,
    [property: JsonPropertyName("tokens")] long Tokens)
{
    [JsonPropertyName("perplexity")]
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>One epoch: training loss over its selected tokens and the held-out evaluation at its end (null without a held-out slice).</summary>
public sealed record PretrainingEpochRecord(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("validation_loss")] double? ValidationLoss,
    [property: JsonPropertyName("validation_masked_accuracy")] double? ValidationMaskedAccuracy,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    [JsonPropertyName("train_perplexity")]
    public double TrainPerplexity => Math.Exp(TrainLoss);

    [JsonPropertyName("validation_perplexity")]
    public double? ValidationPerplexity => ValidationLoss is { } loss ? Math.Exp(loss) : null;
}

/// <summary>What the corpus became: documents and their tokens on each side of the held-out split, and the sequences they fill.</summary>
public sealed record PretrainingCorpusStats(
    [property: JsonPropertyName("documents")] int Documents,
    [property: JsonPropertyName("train_documents")] int TrainDocuments,
    [property: JsonPropertyName("validation_documents")] int ValidationDocuments,
    [property: JsonPropertyName("train_tokens")] long TrainTokens,
    [property: JsonPropertyName("train_sequences")] int TrainSequences,
    [property: JsonPropertyName("validation_sequences")] int ValidationSequences,
    [property: JsonPropertyName("unknown_token_rate")] double UnknownTokenRate);

/// <summary>Hooks the caller (CLI, job worker) receives on the training thread; keep them quick.</summary>
public sealed class PretrainingCallbacks
{
    public Action<PretrainingProgress>? Progress { get; init; }

    /// <summary>Every held-out measurement: every <see cref="PretrainingOptions.EvaluateEverySteps"/> steps and after each epoch.</summary>
    public Action<PretrainingEvaluation>? Evaluated { get; init; }

    public Action<PretrainingEpochRecord>? EpochCompleted { get; init; }

    /// <summary>Called with the checkpoint folder once it is complete on disk (e.g. to upload it).</summary>
    public Action<string>? CheckpointSaved { get; init; }

    public Action<string>? Log { get; init; }
}
