using System.Text;
using Platform.Training.Data;

namespace Platform.Training.Pretraining;

/// <summary>
/// Unlabelled text for vocabulary training and pre-training: a CSV (its text column; other columns,
/// a label among them, are ignored) or a plain UTF-8 text file with one document per line.
/// Blank documents are skipped.
/// </summary>
public static class TextCorpus
{
    /// <summary>Documents in file order. A path ending in ".csv" is read as CSV, anything else as lines.</summary>
    public static IReadOnlyList<string> Load(string path, string textColumn = "text")
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"corpus not found: {path}", path);
        }

        try
        {
            var documents = IsCsv(path) ? ReadCsv(path, textColumn) : ReadLines(path);
            return documents.Count > 0 ? documents : throw new InvalidDataException("no text in the corpus");
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not valid UTF-8 ({e.Message})", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static bool IsCsv(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    private static List<string> ReadLines(string path)
    {
        var documents = new List<string>();
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        while (reader.ReadLine() is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                documents.Add(line);
            }
        }

        return documents;
    }

    private static List<string> ReadCsv(string path, string textColumn)
    {
        using var csv = CsvReader.Open(path);
        var header = csv.ReadRecord() ?? throw new InvalidDataException("the file is empty; a header row with the column names is required");
        var column = Array.IndexOf(header, textColumn);
        if (column < 0)
        {
            throw new InvalidDataException($"column '{textColumn}' not found; the header has: {string.Join(", ", header)}");
        }

        var documents = new List<string>();
        while (csv.ReadRecord() is { } record)
        {
            if (record.Length != header.Length)
            {
                throw new InvalidDataException($"line {csv.RecordLine}: {record.Length} fields, the header has {header.Length}");
            }

            if (!string.IsNullOrWhiteSpace(record[column]))
            {
                documents.Add(record[column]);
            }
        }

        return documents;
    }
}
