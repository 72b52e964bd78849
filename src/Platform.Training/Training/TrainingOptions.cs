using Platform.Training.Data;

namespace Platform.Training.Training;

/// <summary>
/// Hyper-parameters and run settings. Null fields take the value <see cref="TrainingPlan.Resolve"/> gives
/// them for the preset, the data's size and the base model's starting point.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>fast, balanced or best (null: balanced): the training budget the null fields below follow.</summary>
    public string? Preset { get; init; }

    /// <summary>Null: the preset's epochs, raised until the run takes the preset's minimum number of steps.</summary>
    public int? Epochs { get; init; }

    /// <summary>
    /// Null: 32 texts or 64 images, at most a sixteenth of the training examples (at least 8). In a
    /// data-parallel run, the global batch that the ranks split (decision 0043).
    /// </summary>
    public int? BatchSize { get; init; }

    /// <summary>Null: by starting point (see <see cref="TrainingPlan.DefaultLearningRate"/>); 0 keeps the weights.</summary>
    public double? LearningRate { get; init; }

    public int MaxSequenceLength { get; init; } = 128;
    public ulong Seed { get; init; } = 42;

    /// <summary>"cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch intra-op threads; null uses <see cref="ThreadsFor"/>(1), every core.</summary>
    public int? Threads { get; init; }

    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Default 0.01 for BERT, 1e-4 for a CNN; never applied to biases and normalisation weights.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Share of the steps with a linearly rising rate; default 0.1 for BERT, 0 for a CNN.</summary>
    public double? WarmupFraction { get; init; }

    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>
    /// Stop after this many epochs without a better validation macro-F1 (once <see cref="MinStepsBeforeStopping"/>
    /// steps are done); 0 never stops early; null: the preset's.
    /// </summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Steps before early stopping may end the run; null: half the preset's minimum steps.</summary>
    public int? MinStepsBeforeStopping { get; init; }

    /// <summary>Write a checkpoint every this many optimiser steps; 0 writes none.</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>Random horizontal flips of training images (not for digits or text-like images).</summary>
    public bool HorizontalFlip { get; init; }

    public TextColumns TextColumns { get; init; } = new();

    /// <summary>For the tabular preset: the target column and the columns to leave out.</summary>
    public Tabular.TabularColumns? TabularColumns { get; init; }

    /// <summary>What transparent pixels become for a CNN preset: "white" (null), "black" or "#rrggbb".</summary>
    public string? ImageBackground { get; init; }

    /// <summary>
    /// Threads for one of <paramref name="concurrentRuns"/> trainings sharing this machine: its cores
    /// divided between them. More threads than cores never helps a training step and, with other
    /// work on the machine, makes every step wait for the slowest thread.
    /// </summary>
    public static int ThreadsFor(int concurrentRuns) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, concurrentRuns));

    internal void Validate()
    {
        if (TrainingPreset.Find(Preset) is null) throw new ArgumentException($"unknown preset '{Preset}' (fast, balanced or best)");
        if (Epochs is < 1) throw new ArgumentException("epochs must be at least 1");
        if (BatchSize is < 1) throw new ArgumentException("batch size must be at least 1");
        if (EarlyStoppingPatience is < 0 || MinStepsBeforeStopping is < 0) throw new ArgumentException("early stopping settings must not be negative");
        if (LearningRate is < 0) throw new ArgumentException("learning rate must not be negative");
        if (MaxSequenceLength < 3) throw new ArgumentException("max sequence length must be at least 3");
        if (ValidationFraction is < 0 or >= 1) throw new ArgumentException("validation fraction must be in [0, 1)");
        if (CheckpointEverySteps < 0) throw new ArgumentException("checkpoint interval must not be negative");
        if (Threads is < 1) throw new ArgumentException("threads must be at least 1");
        if (ImageBackground is not null) _ = Models.Cnn.CnnConfig.ParseBackground(ImageBackground);
    }
}
