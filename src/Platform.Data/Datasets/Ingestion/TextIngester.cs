using System.Security.Cryptography;
using System.Text;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// Reads a CSV upload, keeps the mapped text and label columns of the usable rows and writes them as
/// normalised CSV (header "text,label"), so the training side reads one simple format whatever the
/// upload looked like. Empty, duplicate and over-long rows are skipped and reported; malformed CSV
/// stops everything with the line at fault. A text under more than one label is kept and reported
/// (<see cref="ContentCopies{TKey}"/>: the rule image datasets follow too).
/// </summary>
internal sealed class TextIngester(DatasetOptions options)
{
    public const string DefaultTextColumn = "text";
    public const string DefaultLabelColumn = "label";
    private const int SampleTextLength = 300;

    public TextIngestion Ingest(Stream csv, string? textColumn, string? labelColumn, Stream normalized)
    {
        var parser = new CsvParser(csv, CsvLimits.From(options));
        var header = parser.Read() ?? throw new IngestionException("The file is empty: the first line must be a header naming the columns.");
        var columns = ReadHeader(header);
        var textIndex = FindColumn(columns, textColumn ?? DefaultTextColumn, "text");
        var labelIndex = FindColumn(columns, labelColumn ?? DefaultLabelColumn, "label");
        if (textIndex == labelIndex)
        {
            throw new IngestionException("The text and label columns must be different columns.");
        }

        var empty = new SkippedRows("empty row");
        var duplicates = new SkippedRows("duplicate text");
        var overLong = new SkippedRows($"row with text over {options.MaxTextLength} or a label over {options.MaxLabelLength} character");
        var labels = new List<string>();
        var labelNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var lengths = new List<int>();
        var lines = new List<int>();
        var copies = new ContentCopies<UInt128>(record => $"line {lines[record]}");
        var samples = new Dictionary<string, List<DatasetSample>>(StringComparer.Ordinal);

        using var writer = new CsvWriter(normalized);
        writer.WriteRecord(DefaultTextColumn, DefaultLabelColumn);
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
            // A field cut at the parser's limit is longer than any text or label may be.
            if (record.IsTruncated(textIndex) || record.IsTruncated(labelIndex))
            {
                overLong.Add(record.Line);
                continue;
            }
            var text = record.Fields[textIndex];
            var label = record.Fields[labelIndex].Trim();
            if (string.IsNullOrWhiteSpace(text) || label.Length == 0)
            {
                empty.Add(record.Line);
                continue;
            }
            if (text.Length > options.MaxTextLength || label.Length > options.MaxLabelLength)
            {
                overLong.Add(record.Line);
                continue;
            }
            if (copies.Add(Fingerprint(text.Trim()), label, labels.Count, $"line {record.Line}") == CopyKind.Duplicate)
            {
                duplicates.Add(record.Line);
                continue;
            }
            if (labels.Count == options.MaxRows)
            {
                throw new IngestionException($"The file has more than {options.MaxRows:N0} usable rows, the most one dataset may hold.");
            }
            if (!labelNames.TryGetValue(label, out var interned))
            {
                if (labelNames.Count == options.MaxClasses)
                {
                    throw new IngestionException($"The label column has more than {options.MaxClasses} different values: is it the right column?");
                }
                labelNames[label] = interned = label;
                samples[label] = [];
            }
            if (samples[interned].Count < options.SampleCount)
            {
                var shown = text.Length > SampleTextLength ? text[..SampleTextLength] + "…" : text;
                samples[interned].Add(new DatasetSample(labels.Count, interned, shown, null));
            }
            labels.Add(interned);
            lines.Add(record.Line);
            lengths.Add(text.Length);
            writer.WriteRecord(text, interned);
        }

        var warnings = new[] { empty.Describe(), duplicates.Describe(), copies.Describe("text"), overLong.Describe() }.OfType<string>().ToList();
        return new TextIngestion(
            columns, columns[textIndex], columns[labelIndex], labels, DatasetStats.Of(lengths), warnings,
            SampleSelection.RoundRobin(samples.Values, options.SampleCount), empty, duplicates, overLong, copies.CopyOf);
    }

    /// <summary>The header's column names, for the column-mapping form.</summary>
    public static IReadOnlyList<string> ReadColumns(Stream csv, DatasetOptions options)
    {
        var header = new CsvParser(csv, CsvLimits.From(options)).Read()
            ?? throw new IngestionException("The file is empty: the first line must be a header naming the columns.");
        return ReadHeader(header);
    }

    /// <summary>The header's trimmed column names; blank, duplicate and over-long names are refused.</summary>
    internal static List<string> ReadHeader(CsvRecord header)
    {
        if (header.Truncated.Length > 0)
        {
            throw new IngestionException($"Line 1: column {header.Truncated[0] + 1} of the header is too long to be a column name.");
        }
        var columns = header.Fields.Select(f => f.Trim()).ToList();
        var blank = columns.FindIndex(c => c.Length == 0);
        if (blank >= 0)
        {
            throw new IngestionException($"Line 1: column {blank + 1} of the header has no name. The first line must be a header naming every column.");
        }
        var duplicate = columns.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new IngestionException($"Line 1: the header names the column '{duplicate.Key}' twice.");
        }
        return columns;
    }

    private static int FindColumn(List<string> columns, string wanted, string role)
    {
        var index = columns.FindIndex(c => string.Equals(c, wanted.Trim(), StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            throw new IngestionException(
                $"The header has no column '{wanted}' to use as the {role}. Its columns are: {string.Join(", ", columns)}. Choose the text and label columns.");
        }
        return index;
    }

    private static UInt128 Fingerprint(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return new UInt128(BitConverter.ToUInt64(hash), BitConverter.ToUInt64(hash[8..]));
    }
}
