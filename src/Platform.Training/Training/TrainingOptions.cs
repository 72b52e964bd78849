using Platform.Training.Data;

namespace Platform.Training.Training;

/// <summary>Hyper-parameters and run settings; null fields take the model kind's default.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 32;

    /// <summary>Default 5e-5 for BERT fine-tuning, 1e-3 for a CNN trained from scratch; 0 keeps the weights.</summary>
    public double? LearningRate { get; init; }

    public int MaxSequenceLength { get; init; } = 128;
    public ulong Seed { get; init; } = 42;

    /// <summary>"cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch intra-op threads; null uses every core.</summary>
    public int? Threads { get; init; }

    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Default 0.01 for BERT, 1e-4 for a CNN; never applied to biases and normalisation weights.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Share of the steps with a linearly rising rate; default 0.1 for BERT, 0 for a CNN.</summary>
    public double? WarmupFraction { get; init; }

    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>Stop after this many epochs without a lower validation loss; 0 never stops early.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Write a checkpoint every this many optimiser steps; 0 writes none.</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>Random horizontal flips of training images (not for digits or text-like images).</summary>
    public bool HorizontalFlip { get; init; }

    public TextColumns TextColumns { get; init; } = new();

    internal void Validate()
    {
        if (Epochs < 1) throw new ArgumentException("epochs must be at least 1");
        if (BatchSize < 1) throw new ArgumentException("batch size must be at least 1");
        if (LearningRate is < 0) throw new ArgumentException("learning rate must not be negative");
        if (MaxSequenceLength < 3) throw new ArgumentException("max sequence length must be at least 3");
        if (ValidationFraction is < 0 or >= 1) throw new ArgumentException("validation fraction must be in [0, 1)");
        if (CheckpointEverySteps < 0) throw new ArgumentException("checkpoint interval must not be negative");
        if (Threads is < 1) throw new ArgumentException("threads must be at least 1");
    }
}
