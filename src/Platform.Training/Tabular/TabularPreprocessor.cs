using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Training.Tabular;

/// <summary>One input column as the model reads it.</summary>
/// <param name="Type">"numeric" (standardised) or "categorical" (one-hot over <see cref="Categories"/>).</param>
public sealed record TabularColumn(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("mean")] double Mean = 0,
    [property: JsonPropertyName("std")] double Std = 1,
    [property: JsonPropertyName("categories")] IReadOnlyList<string>? Categories = null)
{
    public const string Numeric = "numeric";
    public const string Categorical = "categorical";

    [JsonIgnore] public int Width => Type == Numeric ? 1 : Categories!.Count;
}

/// <summary>
/// Turns a row of cells into the model's input: numeric columns standardised with the training split's
/// mean and standard deviation (a missing value becomes the mean, 0 after scaling), categorical columns
/// one-hot over the categories seen in the training split (a missing or unseen category is all zeros).
/// Fitted on the training rows only and saved in the model folder, so a prediction is scaled exactly as
/// training was and the validation split never leaks into the statistics.
/// </summary>
public sealed class TabularPreprocessor
{
    /// <summary>A categorical column keeps its most frequent categories up to this many; the rest read as unseen.</summary>
    public const int MaxCategories = 50;

    /// <summary>How many standard deviations out a numeric feature may lie; beyond, it is clamped.</summary>
    internal const double FarOut = 10_000;

    public const string FileName = "preprocessing.json";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [JsonConstructor]
    public TabularPreprocessor(string target, IReadOnlyList<TabularColumn> columns)
    {
        Target = target;
        Columns = columns;
        Width = columns.Sum(c => c.Width);
    }

    [JsonPropertyName("target")] public string Target { get; }
    [JsonPropertyName("columns")] public IReadOnlyList<TabularColumn> Columns { get; }
    /// <summary>Features the model receives per row.</summary>
    [JsonIgnore] public int Width { get; }

    /// <summary>
    /// Types are inferred from every row (a column is numeric when each present value is a number);
    /// means, deviations and categories come from <paramref name="trainRows"/> only.
    /// </summary>
    public static TabularPreprocessor Fit(TabularTable table, TabularColumns columns, IReadOnlyList<int> trainRows)
    {
        var target = table.ColumnIndex(columns.Target);
        foreach (var excluded in columns.Excluded)
            table.ColumnIndex(excluded);
        var inputs = Enumerable.Range(0, table.Header.Count)
            .Where(i => i != target && !columns.Excluded.Contains(table.Header[i], StringComparer.Ordinal)).ToList();
        if (inputs.Count == 0)
            throw new InvalidDataException("no input columns are left besides the target and the excluded ones");

        var fitted = new List<TabularColumn>();
        foreach (var c in inputs)
        {
            var name = table.Header[c];
            var numeric = table.Rows.All(r => TabularTable.IsMissing(r[c]) || TabularTable.TryNumber(r[c], out _));
            if (numeric)
            {
                var values = trainRows.Select(r => table.Rows[r][c]).Where(v => !TabularTable.IsMissing(v))
                    .Select(v => { TabularTable.TryNumber(v, out var x); return x; }).ToArray();
                var mean = values.Length == 0 ? 0 : values.Average();
                var variance = values.Length == 0 ? 0 : values.Sum(v => (v - mean) * (v - mean)) / values.Length;
                // A constant column carries nothing; a unit scale keeps it finite.
                var std = variance > 1e-24 ? Math.Sqrt(variance) : 1;
                fitted.Add(new TabularColumn(name, TabularColumn.Numeric, mean, std));
            }
            else
            {
                var categories = trainRows.Select(r => table.Rows[r][c].Trim()).Where(v => !TabularTable.IsMissing(v))
                    .GroupBy(v => v, StringComparer.Ordinal)
                    .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .Take(MaxCategories).Select(g => g.Key).Order(StringComparer.Ordinal).ToList();
                fitted.Add(new TabularColumn(name, TabularColumn.Categorical, Categories: categories));
            }
        }

        return new TabularPreprocessor(columns.Target, fitted);
    }

    /// <summary>Writes one row's features into <paramref name="destination"/>; <paramref name="cell"/> gives a column's raw value (null: absent).</summary>
    public void Transform(Func<string, string?> cell, Span<float> destination)
    {
        if (destination.Length != Width)
            throw new ArgumentException($"destination holds {destination.Length} features; the model reads {Width}");
        destination.Clear();
        var offset = 0;
        foreach (var column in Columns)
        {
            var value = cell(column.Name);
            if (column.Type == TabularColumn.Numeric)
            {
                if (!TabularTable.IsMissing(value))
                {
                    if (!TabularTable.TryNumber(value!, out var x))
                        throw new InvalidDataException($"column '{column.Name}' is numeric; '{Shorten(value!)}' is not a number");
                    // Clamped: a finite but huge value (1e308) would be an infinite float, and the scores NaN.
                    // No real value lies 10,000 standard deviations out; past that, further is the same.
                    destination[offset] = (float)Math.Clamp((x - column.Mean) / column.Std, -FarOut, FarOut);
                }
            }
            else if (!TabularTable.IsMissing(value))
            {
                var index = BinarySearch(column.Categories!, value!.Trim());
                if (index >= 0)
                    destination[offset + index] = 1;
            }

            offset += column.Width;
        }
    }

    /// <summary>The features of a table's rows, row-major; a bad cell names its line.</summary>
    public float[] TransformTable(TabularTable table)
    {
        var indices = Columns.Select(c => table.Header.ToList().IndexOf(c.Name)).ToArray();
        var missing = Columns.Where((_, i) => indices[i] < 0).Select(c => c.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the CSV lacks the model's column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}");
        var features = new float[(long)table.Rows.Count * Width];
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            try
            {
                var byName = Columns.Select((c, i) => (c.Name, Value: row[indices[i]])).ToDictionary(x => x.Name, x => x.Value, StringComparer.Ordinal);
                Transform(name => byName[name], features.AsSpan(r * Width, Width));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"line {table.Lines[r]}: {e.Message}", e);
            }
        }

        return features;
    }

    public void Save(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, JsonOptions));

    public static TabularPreprocessor Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{directory} has no {FileName}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads a preprocessing.json's text (<paramref name="source"/> names it in errors): a model folder in the store has no path.</summary>
    public static TabularPreprocessor Parse(string json, string source)
    {
        try
        {
            var loaded = JsonSerializer.Deserialize<TabularPreprocessor>(json, JsonOptions)
                ?? throw new InvalidDataException($"{source}: empty");
            if (loaded.Columns.Any(c => c.Type is not (TabularColumn.Numeric or TabularColumn.Categorical)
                    || (c.Type == TabularColumn.Categorical && c.Categories is null) || !(c.Std > 0)))
                throw new InvalidDataException($"{source}: a column has an unknown type, no categories or a non-positive std");
            return loaded;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a preprocessing file ({e.Message})", e);
        }
    }

    private static int BinarySearch(IReadOnlyList<string> sorted, string value)
    {
        int low = 0, high = sorted.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            var order = string.CompareOrdinal(sorted[mid], value);
            if (order == 0) return mid;
            if (order < 0) low = mid + 1;
            else high = mid - 1;
        }

        return -1;
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
