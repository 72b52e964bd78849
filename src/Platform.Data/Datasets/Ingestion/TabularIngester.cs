using System.Globalization;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>What reading a tabular CSV produced; the accepted rows were written as normalised CSV.</summary>
internal sealed record TabularIngestion(
    string Target,
    IReadOnlyList<string> Labels,
    DatasetStats Stats,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<DatasetSample> Samples);

/// <summary>
/// Reads a table: a CSV with a header, numeric and categorical columns and a target column. The same
/// parser, size limits and row rules as a text CSV (<see cref="TextIngester"/>); rows without a target
/// value are skipped and reported. The normalised file keeps the input columns and the target, in the
/// upload's order; excluded columns are dropped (ids and names are not stored when not used).
/// Column types are inferred the way the trainer infers them (Platform.Training's TabularPreprocessor:
/// numeric when every present value is a number; the same missing-value spellings).
/// </summary>
internal sealed class TabularIngester(DatasetOptions options)
{
    /// <summary>The trainer's limit (Platform.Training TabularTable.MaxColumns): one-hot columns of a wider table would not fit a small MLP.</summary>
    public const int MaxColumns = 500;
    private const int TopValuesShown = 5;
    private const int SampleLength = 300;

    public TabularIngestion Ingest(Stream csv, string? targetColumn, IReadOnlyList<string> excluded, Stream normalized)
    {
        var parser = new CsvParser(csv, CsvLimits.From(options));
        var header = parser.Read() ?? throw new IngestionException("The file is empty: the first line must be a header naming the columns.");
        var columns = TextIngester.ReadHeader(header);
        if (columns.Count > MaxColumns)
            throw new IngestionException($"The table has {columns.Count} columns; at most {MaxColumns} are read.");
        if (string.IsNullOrWhiteSpace(targetColumn))
            throw new IngestionException($"Choose the target column: the one the model predicts. The columns are: {string.Join(", ", columns)}.");
        var target = Find(columns, targetColumn, "target");
        var dropped = excluded.Select(e => Find(columns, e, "excluded")).ToHashSet();
        if (dropped.Contains(target))
            throw new IngestionException("The target column cannot also be excluded.");
        var inputs = Enumerable.Range(0, columns.Count).Where(i => i != target && !dropped.Contains(i)).ToArray();
        if (inputs.Length == 0)
            throw new IngestionException("No input columns are left besides the target and the excluded ones.");

        var empty = new SkippedRows("empty row");
        var noTarget = new SkippedRows("row without a target value");
        var overLong = new SkippedRows($"row with a value over {options.MaxTextLength} or a target over {options.MaxLabelLength} character");
        var labels = new List<string>();
        var labelNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new Dictionary<string, List<DatasetSample>>(StringComparer.Ordinal);
        var profiles = inputs.Select(i => new ColumnAccumulator(columns[i])).ToArray();
        var correlation = new CorrelationAccumulator(Math.Min(TabularProfile.CorrelationColumnsShown, inputs.Length) + 1);

        using var writer = new CsvWriter(normalized);
        writer.WriteRecord([.. inputs.Select(i => columns[i]), columns[target]]);
        var values = new double?[correlation.Width];
        while (parser.Read() is { } record)
        {
            if (record.Fields.All(string.IsNullOrWhiteSpace))
            {
                empty.Add(record.Line);
                continue;
            }
            if (record.Fields.Length != columns.Count)
            {
                throw new IngestionException(
                    $"Line {record.Line}: expected {columns.Count} fields, as in the header, but found {record.Fields.Length}. " +
                    "Fields containing commas or line breaks must be in quotes.");
            }
            if (record.Truncated.Length > 0 || inputs.Any(i => record.Fields[i].Length > options.MaxTextLength))
            {
                overLong.Add(record.Line);
                continue;
            }
            var label = record.Fields[target].Trim();
            if (IsMissing(label))
            {
                noTarget.Add(record.Line);
                continue;
            }
            if (label.Length > options.MaxLabelLength)
            {
                overLong.Add(record.Line);
                continue;
            }
            if (labels.Count == options.MaxRows)
                throw new IngestionException($"The file has more than {options.MaxRows:N0} usable rows, the most one dataset may hold.");
            if (!labelNames.TryGetValue(label, out var interned))
            {
                if (labelNames.Count == options.MaxClasses)
                    throw new IngestionException($"The target column has more than {options.MaxClasses} different values: is it the right column (a category, not a number)?");
                labelNames[label] = interned = label;
                samples[label] = [];
            }

            for (var c = 0; c < inputs.Length; c++)
            {
                var number = profiles[c].Add(record.Fields[inputs[c]]);
                if (c < values.Length - 1)
                    values[c] = number;
            }

            // The target's slot: 1 for the first label met, later flipped to the second label in sorted order.
            values[^1] = ReferenceEquals(interned, labels.Count == 0 ? interned : labels[0]) ? 1 : 0;
            correlation.Add(values);
            if (samples[interned].Count < options.SampleCount)
                samples[interned].Add(new DatasetSample(labels.Count, interned, Describe(columns, inputs, record.Fields), null));
            labels.Add(interned);
            writer.WriteRecord([.. inputs.Select(i => record.Fields[i]), interned]);
        }

        var table = Profile(columns[target], dropped.Order().Select(i => columns[i]).ToList(), profiles, correlation, labels);
        var warnings = new[] { empty.Describe(), noTarget.Describe(), overLong.Describe() }.OfType<string>().ToList();
        var constant = profiles.Where(p => p.Distinct <= 1).Select(p => $"'{WarningList.Name(p.Name)}'").ToList();
        if (constant.Count == 1)
            warnings.Add($"Column {constant[0]} holds a single value: nothing to learn from.");
        else if (constant.Count > 1)
            warnings.Add($"{constant.Count:N0} columns hold a single value, nothing to learn from: {WarningList.Of(constant, constant.Count)}.");
        var identifiers = profiles.Where(p => !p.IsNumeric && labels.Count >= 20 && p.Distinct >= labels.Count * 0.9)
            .Select(p => $"'{WarningList.Name(p.Name)}'").ToList();
        if (identifiers.Count == 1)
            warnings.Add($"Column {identifiers[0]} looks like an identifier (almost every value differs): exclude it.");
        else if (identifiers.Count > 1)
            warnings.Add($"{identifiers.Count:N0} columns look like identifiers (almost every value differs), exclude them: {WarningList.Of(identifiers, identifiers.Count)}.");
        return new TabularIngestion(columns[target], labels, DatasetStats.Empty with { Table = table }, warnings,
            SampleSelection.RoundRobin(samples.Values, options.SampleCount));
    }

    /// <summary>The same spellings of a missing value as the trainer (Platform.Training TabularTable.IsMissing).</summary>
    internal static bool IsMissing(string value) =>
        value.Trim() is "" or "NA" or "N/A" or "na" or "n/a" or "?" or "null" or "NULL" or "NaN" or "nan";

    private static TabularProfile Profile(string target, IReadOnlyList<string> excluded, ColumnAccumulator[] profiles,
        CorrelationAccumulator correlation, List<string> labels)
    {
        var shown = Enumerable.Range(0, correlation.Width - 1).Where(c => profiles[c].IsNumeric).ToList();
        var sortedLabels = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var binary = sortedLabels.Count == 2;
        // The accumulator scored "is the first label met"; the preview reads "is the second label in sorted order".
        var sign = binary && labels.Count > 0 && labels[0] == sortedLabels[1] ? 1 : -1;
        var slots = binary ? [.. shown, correlation.Width - 1] : shown;
        var names = shown.Select(c => profiles[c].Name).ToList();
        if (binary)
            names.Add($"{target} = {sortedLabels[1]}");
        var matrix = slots.Select(a => (IReadOnlyList<double?>)slots.Select(b =>
        {
            var r = correlation.Pearson(a, b);
            var flip = (a == correlation.Width - 1) != (b == correlation.Width - 1);
            return r is { } v && flip ? v * sign : r;
        }).ToList()).ToList();
        return new TabularProfile(target, excluded, profiles.Select(p => p.ToProfile(TopValuesShown)).ToList(), names, matrix);
    }

    private static int Find(List<string> columns, string wanted, string role)
    {
        var index = columns.FindIndex(c => string.Equals(c, wanted.Trim(), StringComparison.OrdinalIgnoreCase));
        return index >= 0
            ? index
            : throw new IngestionException($"The header has no column '{wanted}' to use as the {role} column. Its columns are: {string.Join(", ", columns)}.");
    }

    private static string Describe(List<string> columns, int[] inputs, string[] fields)
    {
        var text = string.Join(", ", inputs.Select(i => $"{columns[i]}={fields[i]}"));
        return text.Length > SampleLength ? text[..SampleLength] + "…" : text;
    }

    /// <summary>One column's running profile: missing cells, numeric range and mean, distinct values.</summary>
    private sealed class ColumnAccumulator(string name)
    {
        private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
        private double _min = double.PositiveInfinity, _max = double.NegativeInfinity, _sum;
        private int _numbers;

        public string Name { get; } = name;
        public int Missing { get; private set; }
        public bool IsNumeric { get; private set; } = true;
        public int Distinct => _counts.Count;

        /// <summary>Adds a cell; its number while the column is still numeric.</summary>
        public double? Add(string cell)
        {
            if (IsMissing(cell))
            {
                Missing++;
                return null;
            }

            var value = cell.Trim();
            if (_counts.Count < TabularProfile.DistinctCap || _counts.ContainsKey(value))
                _counts[value] = _counts.GetValueOrDefault(value) + 1;
            if (!IsNumeric)
                return null;
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
            {
                IsNumeric = false;
                return null;
            }

            _numbers++;
            _sum += number;
            _min = Math.Min(_min, number);
            _max = Math.Max(_max, number);
            return number;
        }

        public TabularColumnProfile ToProfile(int top) => IsNumeric
            ? new TabularColumnProfile(Name, TabularProfile.Numeric, Missing, _numbers > 0 ? _min : null, _numbers > 0 ? _max : null,
                _numbers > 0 ? Math.Round(_sum / _numbers, 6) : null, Distinct, [])
            : new TabularColumnProfile(Name, TabularProfile.Categorical, Missing, null, null, null, Distinct,
                _counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(top).Select(kv => kv.Key).ToList());
    }

    /// <summary>Pairwise sums for Pearson correlation over the rows where both values are present.</summary>
    private sealed class CorrelationAccumulator(int width)
    {
        private readonly double[,] _n = new double[width, width], _sx = new double[width, width], _sy = new double[width, width],
            _sxx = new double[width, width], _syy = new double[width, width], _sxy = new double[width, width];

        public int Width { get; } = width;

        public void Add(double?[] values)
        {
            for (var a = 0; a < Width; a++)
            {
                if (values[a] is not { } x)
                    continue;
                for (var b = a; b < Width; b++)
                {
                    if (values[b] is not { } y)
                        continue;
                    _n[a, b]++;
                    _sx[a, b] += x;
                    _sy[a, b] += y;
                    _sxx[a, b] += x * x;
                    _syy[a, b] += y * y;
                    _sxy[a, b] += x * y;
                }
            }
        }

        public double? Pearson(int a, int b)
        {
            if (a > b)
                (a, b) = (b, a);
            var n = _n[a, b];
            if (n < 2)
                return null;
            var cov = _sxy[a, b] - _sx[a, b] * _sy[a, b] / n;
            var vx = _sxx[a, b] - _sx[a, b] * _sx[a, b] / n;
            var vy = _syy[a, b] - _sy[a, b] * _sy[a, b] / n;
            return vx <= 1e-12 || vy <= 1e-12 ? null : Math.Round(Math.Clamp(cov / Math.Sqrt(vx * vy), -1, 1), 4);
        }
    }
}
