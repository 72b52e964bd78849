using System.Globalization;
using Platform.Training.Data;

namespace Platform.Training.Tabular;

/// <summary>Which columns of a tabular CSV the model learns from: the target and the columns left out.</summary>
public sealed record TabularColumns(string Target, IReadOnlyList<string>? Exclude = null)
{
    public IReadOnlyList<string> Excluded => Exclude ?? [];
}

/// <summary>A tabular CSV read whole: header names and the raw cells of each row (strings, typed later).</summary>
public sealed class TabularTable
{
    /// <summary>More columns than this is not a table a small MLP should read (and a hostile upload would blow up one-hot).</summary>
    public const int MaxColumns = 500;

    private TabularTable(IReadOnlyList<string> header, IReadOnlyList<string[]> rows, IReadOnlyList<int> lines)
    {
        Header = header;
        Rows = rows;
        Lines = lines;
    }

    public IReadOnlyList<string> Header { get; }
    public IReadOnlyList<string[]> Rows { get; }
    /// <summary>The CSV line each row starts on, for error messages.</summary>
    public IReadOnlyList<int> Lines { get; }

    public static TabularTable Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"CSV not found: {path}", path);
        using var reader = CsvReader.Open(path);
        try
        {
            return Read(reader, path);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not UTF-8 text ({e.Message})", e);
        }
    }

    private static TabularTable Read(CsvReader reader, string path)
    {
        var header = reader.ReadRecord() ?? throw new InvalidDataException($"{path}: empty file (a header row is needed)");
        header = header.Select(h => h.Trim()).ToArray();
        if (header.Length > MaxColumns)
            throw new InvalidDataException($"{path}: {header.Length} columns; at most {MaxColumns}");
        var blank = Array.FindIndex(header, string.IsNullOrEmpty);
        if (blank >= 0)
            throw new InvalidDataException($"{path}: column {blank + 1} of the header has no name");
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"{path}: the header names column '{duplicate.Key}' twice");

        var rows = new List<string[]>();
        var lines = new List<int>();
        while (reader.ReadRecord() is { } record)
        {
            if (record.Length != header.Length)
                throw new InvalidDataException($"{path}: line {reader.RecordLine} has {record.Length} fields; the header has {header.Length}");
            rows.Add(record);
            lines.Add(reader.RecordLine);
        }

        if (rows.Count == 0)
            throw new InvalidDataException($"{path}: no rows after the header");
        return new TabularTable(header, rows, lines);
    }

    public int ColumnIndex(string name)
    {
        for (var i = 0; i < Header.Count; i++)
        {
            if (string.Equals(Header[i], name, StringComparison.Ordinal))
                return i;
        }

        throw new InvalidDataException($"no column '{name}' (columns: {string.Join(", ", Header)})");
    }

    /// <summary>Empty cells and the usual spellings of "not available" are missing values.</summary>
    public static bool IsMissing(string? value) =>
        value is null || value.Trim() is "" or "NA" or "N/A" or "na" or "n/a" or "?" or "null" or "NULL" or "NaN" or "nan";

    public static bool TryNumber(string value, out double number) =>
        double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);
}
