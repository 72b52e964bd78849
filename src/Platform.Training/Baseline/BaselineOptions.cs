namespace Platform.Training.Baseline;

/// <summary>
/// How the linear text baseline turns text into features and picks its regularisation.
/// The defaults are the ones measured on the fortunes benchmark (docs/decisions/0017-linear-baseline.md).
/// </summary>
public sealed record BaselineOptions
{
    /// <summary>Word n-grams from 1 to this (2: unigrams and bigrams).</summary>
    public int WordNgrams { get; init; } = 2;

    /// <summary>
    /// Character n-grams inside word boundaries (each word padded with a space), this range; null (the
    /// default) leaves them out. They catch spelling variants and word pieces that whole words miss, and
    /// cost about four times the fitting time for about one point of accuracy on the fortunes benchmark.
    /// </summary>
    public (int Min, int Max)? CharNgrams { get; init; }

    /// <summary>Punctuation marks (split off by BERT's basic tokenizer) count as words.</summary>
    public bool KeepPunctuation { get; init; } = true;

    /// <summary>1 + ln(tf) instead of tf: a word said ten times is not ten times the evidence.</summary>
    public bool SublinearTf { get; init; } = true;

    /// <summary>Terms in fewer training texts than this are dropped.</summary>
    public int MinDocumentFrequency { get; init; } = 2;

    /// <summary>The inverse regularisation strengths tried (scikit-learn's C: larger fits the training data closer).</summary>
    public IReadOnlyList<double> CandidateC { get; init; } = [0.1, 1, 10, 100];

    /// <summary>
    /// Folds of the training split that choose C (stratified; from <see cref="BaselineTrainer.SliceAbove"/>
    /// rows on, the first fold alone); the validation split is never looked at.
    /// </summary>
    public int SelectionFolds { get; init; } = 3;

    /// <summary>Seeds the folds; the same data and seed always choose the same C.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>L-BFGS iterations at most per fit.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>A fit stops when no gradient component is larger than this.</summary>
    public double Tolerance { get; init; } = 1e-4;

    internal void Validate()
    {
        if (WordNgrams < 1) throw new ArgumentException("word n-grams must be at least 1");
        if (CharNgrams is { } chars && (chars.Min < 1 || chars.Max < chars.Min))
            throw new ArgumentException("character n-gram range must satisfy 1 <= min <= max");
        if (MinDocumentFrequency < 1) throw new ArgumentException("minimum document frequency must be at least 1");
        if (CandidateC.Count == 0 || CandidateC.Any(c => !(c > 0) || double.IsInfinity(c)))
            throw new ArgumentException("candidate C values must be positive and finite");
        if (SelectionFolds < 2) throw new ArgumentException("selection needs at least 2 folds");
        if (MaxIterations < 1) throw new ArgumentException("iterations must be at least 1");
        if (!(Tolerance > 0)) throw new ArgumentException("tolerance must be positive");
    }
}
