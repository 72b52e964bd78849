namespace Platform.Training.Pretraining;

/// <summary>Masked-language-model hyper-parameters and run settings; null fields take the starting point's default.</summary>
public sealed record PretrainingOptions
{
    public int Epochs { get; init; } = 3;

    /// <summary>Sequences per optimiser step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Default 5e-4 from scratch, 1e-4 when continuing from a base model.</summary>
    public double? LearningRate { get; init; }

    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Share of the steps with a linearly rising rate, then linear decay to zero.</summary>
    public double WarmupFraction { get; init; } = 0.1;

    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>Tokens per sequence, [CLS] and [SEP]s included; at most the model's max_position_embeddings.</summary>
    public int MaxSequenceLength { get; init; } = 128;

    /// <summary>
    /// Packs consecutive documents, each closed by [SEP], into one sequence up to the maximum length,
    /// so short texts (a tweet, a review) do not leave most of every sequence as padding. Off: one
    /// document per sequence. Either way a document longer than a sequence is cut into several.
    /// </summary>
    public bool PackDocuments { get; init; } = true;

    /// <summary>Share of the tokens selected for prediction (BERT: 15 %).</summary>
    public double MaskProbability { get; init; } = 0.15;

    /// <summary>Selects whole words (every "##" piece with its word) rather than single pieces.</summary>
    public bool WholeWordMasking { get; init; } = true;

    /// <summary>Share of the documents held out to measure perplexity; 0 measures none.</summary>
    public double ValidationFraction { get; init; } = 0.05;

    /// <summary>Also measure held-out perplexity every this many steps (0: only after each epoch).</summary>
    public int EvaluateEverySteps { get; init; }

    /// <summary>Write a checkpoint every this many optimiser steps; 0 writes none.</summary>
    public int CheckpointEverySteps { get; init; }

    public ulong Seed { get; init; } = 42;

    /// <summary>"cpu", "cuda", "cuda:N" or "auto".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch intra-op threads; null uses <see cref="Training.TrainingOptions.ThreadsFor"/>(1), every core (a job handler passes its share).</summary>
    public int? Threads { get; init; }

    /// <summary>Size of the WordPiece vocabulary trained from the corpus when starting from scratch without one.</summary>
    public int VocabularySize { get; init; } = 8000;

    /// <summary>Lower-case (and strip accents from) the text when starting from scratch; a base model keeps its own setting.</summary>
    public bool LowerCase { get; init; } = true;

    internal void Validate()
    {
        if (Epochs < 1) throw new ArgumentException("epochs must be at least 1");
        if (BatchSize < 1) throw new ArgumentException("batch size must be at least 1");
        if (LearningRate is < 0) throw new ArgumentException("learning rate must not be negative");
        if (WeightDecay < 0) throw new ArgumentException("weight decay must not be negative");
        if (WarmupFraction is < 0 or > 1) throw new ArgumentException("warm-up fraction must be in [0, 1]");
        if (MaxSequenceLength < 3) throw new ArgumentException("max sequence length must be at least 3");
        if (MaskProbability is <= 0 or >= 1) throw new ArgumentException("mask probability must be in (0, 1)");
        if (ValidationFraction is < 0 or >= 1) throw new ArgumentException("validation fraction must be in [0, 1)");
        if (EvaluateEverySteps < 0) throw new ArgumentException("evaluation interval must not be negative");
        if (CheckpointEverySteps < 0) throw new ArgumentException("checkpoint interval must not be negative");
        if (Threads is < 1) throw new ArgumentException("threads must be at least 1");
        if (VocabularySize < 10) throw new ArgumentException("vocabulary size must be at least 10");
    }
}
