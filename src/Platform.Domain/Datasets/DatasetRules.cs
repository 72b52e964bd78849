namespace Platform.Domain.Datasets;

/// <summary>Thresholds that decide whether an upload is usable and what the page warns about.</summary>
public sealed record DatasetRules
{
    public int MinClasses { get; init; } = 2;

    /// <summary>Fewer examples than this in any class rejects the upload: the split could not hold one back.</summary>
    public int MinPerClass { get; init; } = 2;

    /// <summary>A class with fewer examples than this is accepted but flagged.</summary>
    public int TinyClassBelow { get; init; } = 10;

    /// <summary>Largest over smallest class count above this is flagged as imbalanced.</summary>
    public double ImbalanceRatio { get; init; } = 10;

    public double ValidationFraction { get; init; } = 0.2;

    public int SplitSeed { get; init; } = 42;

    /// <summary>A corpus for pre-training needs at least this many documents (a held-out slice measures perplexity).</summary>
    public int MinCorpusDocuments { get; init; } = 20;

    public static readonly DatasetRules Default = new();
}
