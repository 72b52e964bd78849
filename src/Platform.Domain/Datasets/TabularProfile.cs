namespace Platform.Domain.Datasets;

/// <summary>One input column of a tabular dataset as the dataset page shows it.</summary>
/// <param name="Type">"numeric" (every present value is a number) or "categorical".</param>
/// <param name="Missing">Empty cells and NA/N/A/?/null/NaN.</param>
/// <param name="Distinct">Distinct present values, counted up to <see cref="TabularProfile.DistinctCap"/>.</param>
/// <param name="TopValues">For a categorical column, its most frequent values.</param>
public sealed record TabularColumnProfile(
    string Name,
    string Type,
    int Missing,
    double? Min,
    double? Max,
    double? Mean,
    int Distinct,
    IReadOnlyList<string> TopValues);

/// <summary>
/// The columns of a tabular dataset: what the model will read (types inferred as the trainer infers
/// them), the target, the columns the user left out, and a Pearson correlation preview between the
/// first numeric columns (and the target, when it has two classes: the second label in sorted order is 1).
/// </summary>
public sealed record TabularProfile(
    string Target,
    IReadOnlyList<string> Excluded,
    IReadOnlyList<TabularColumnProfile> Columns,
    IReadOnlyList<string> CorrelationColumns,
    IReadOnlyList<IReadOnlyList<double?>> Correlation)
{
    public const string Numeric = "numeric";
    public const string Categorical = "categorical";
    public const int DistinctCap = 10_000;
    public const int CorrelationColumnsShown = 10;
}
