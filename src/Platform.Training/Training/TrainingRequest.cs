using Platform.Training.Data;
using Platform.Training.Distributed;
using Platform.Training.Metrics;

namespace Platform.Training.Training;

/// <summary>What to train: data, starting point, where the model goes, and where checkpoints live.</summary>
/// <param name="DataPath">A CSV (text, label) for BERT; a ZIP or directory of label folders for a CNN.</param>
/// <param name="BaseModel">A BERT model folder (Hugging Face layout), a CNN model folder, or a CNN preset name.</param>
/// <param name="OutputDirectory">Receives the final model folder and metrics.json.</param>
/// <param name="CheckpointDirectory">
/// When it holds a checkpoint, training resumes from it. Null keeps checkpoints in OutputDirectory/checkpoints,
/// deleted once training succeeds; an explicit directory is left to its owner.
/// </param>
/// <param name="Split">
/// A fixed train/validation split, as indices into the examples in the order the data loads (a
/// dataset's stored split); it must cover every example once. Null splits by Options.ValidationFraction and Seed.
/// </param>
/// <param name="Distributed">
/// This process's rank in a data-parallel run (decision 0043); null trains in this process alone.
/// </param>
public sealed record TrainingRequest(
    string DataPath,
    string BaseModel,
    string OutputDirectory,
    TrainingOptions Options,
    string? CheckpointDirectory = null,
    DataSplit? Split = null,
    DistributedOptions? Distributed = null)
{
    internal string Checkpoints => CheckpointDirectory ?? Path.Combine(OutputDirectory, "checkpoints");
}

public sealed record TrainingResult(
    string ModelDirectory,
    MetricsReport Metrics,
    long Steps,
    int EpochsCompleted,
    bool StoppedEarly,
    bool Resumed);
