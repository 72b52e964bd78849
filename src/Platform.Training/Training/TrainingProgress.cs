using Platform.Training.Metrics;

namespace Platform.Training.Training;

/// <summary>Reported after every optimiser step.</summary>
public sealed record TrainingProgress(
    long Step,
    long TotalSteps,
    int Epoch,
    int Epochs,
    double Loss,
    double LearningRate,
    double SamplesPerSecond,
    TimeSpan EstimatedRemaining);

/// <summary>Hooks the caller (CLI, job worker) receives on the training thread; keep them quick.</summary>
public sealed class TrainingCallbacks
{
    public Action<TrainingProgress>? Progress { get; init; }
    public Action<EpochRecord>? EpochCompleted { get; init; }

    /// <summary>Called with the checkpoint folder once it is complete on disk (e.g. to upload it).</summary>
    public Action<string>? CheckpointSaved { get; init; }

    public Action<string>? Log { get; init; }
}
