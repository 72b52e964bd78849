using System.Text;

namespace Platform.Training.Data;

/// <summary>One CSV row; <see cref="Label"/> is null when the file has no label column.</summary>
public sealed record TextExample(string Text, string? Label, int Line);

public sealed record TextColumns(string Text = "text", string Label = "label");

public static class TextDataset
{
    /// <summary>Reads a CSV with a header row. The label column is required unless <paramref name="labelsOptional"/>.</summary>
    public static IReadOnlyList<TextExample> LoadCsv(string path, TextColumns? columns = null, bool labelsOptional = false)
    {
        columns ??= new TextColumns();
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"data file not found: {path}", path);
        }

        try
        {
            using var csv = CsvReader.Open(path);
            return Read(csv, columns, labelsOptional);
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

    private static List<TextExample> Read(CsvReader csv, TextColumns columns, bool labelsOptional)
    {
        var header = csv.ReadRecord() ?? throw new InvalidDataException("the file is empty; a header row with the column names is required");
        var textIndex = Array.IndexOf(header, columns.Text);
        var labelIndex = Array.IndexOf(header, columns.Label);
        if (textIndex < 0 || (labelIndex < 0 && !labelsOptional))
        {
            var missing = textIndex < 0 ? columns.Text : columns.Label;
            throw new InvalidDataException($"column '{missing}' not found; the header has: {string.Join(", ", header)}");
        }

        var examples = new List<TextExample>();
        while (csv.ReadRecord() is { } record)
        {
            if (record.Length != header.Length)
            {
                throw new InvalidDataException($"line {csv.RecordLine}: {record.Length} fields, the header has {header.Length}");
            }

            string? label = null;
            if (labelIndex >= 0)
            {
                label = record[labelIndex].Trim();
                if (label.Length == 0)
                {
                    throw new InvalidDataException($"line {csv.RecordLine}: the label is empty");
                }
            }

            examples.Add(new TextExample(record[textIndex], label, csv.RecordLine));
        }

        if (examples.Count == 0)
        {
            throw new InvalidDataException("no data rows after the header");
        }

        return examples;
    }
}
