using System.IO.Compression;
using Platform.Data.Datasets.Ingestion;
using Platform.Training.Data;
using Platform.Training.Tabular;

namespace Platform.Jobs.Predictions;

/// <summary>One row of a batch: how the result file names it (the file's "id" column, the line, or the image's path) and its input.</summary>
internal sealed record BatchItem(string Id, string? Text = null, IReadOnlyDictionary<string, string?>? Row = null, string? ImageEntry = null);

/// <summary>
/// Reads a batch prediction's uploaded file for the model's kind: a CSV with a "text" column (text models),
/// a CSV with the model's columns (tabular models), or a ZIP of PNG/JPEG images in any folders (image
/// models). An "id" column, when present, names each row in the result; otherwise its line does. The
/// same limits as uploads hold (rows, ZIP entries and sizes), checked at launch and again by the job.
/// </summary>
internal static class BatchInputs
{
    public const int MaxRows = 100_000;

    public static readonly ZipLimits ImageZipLimits = new(MaxRows, 10L * 1024 * 1024, 2L * 1024 * 1024 * 1024, 200, "image", "batch");

    /// <summary>The file name's extension decides the format, as for dataset uploads.</summary>
    public static string? Refusal(string modelKind, string fileName) => (modelKind, Path.GetExtension(fileName).ToLowerInvariant()) switch
    {
        ("bert" or "tabular", ".csv") => null,
        ("cnn", ".zip") => null,
        ("cnn", _) => "An image model classifies a ZIP of PNG or JPEG images.",
        _ => "A text or tabular model classifies a CSV file with a header row.",
    };

    public static IReadOnlyList<BatchItem> Read(string modelKind, string path, IReadOnlyList<string>? tableColumns = null) => modelKind switch
    {
        "bert" => ReadTexts(path),
        "tabular" => ReadTable(path, tableColumns ?? []),
        _ => ReadImageNames(path),
    };

    private static IReadOnlyList<BatchItem> ReadTexts(string path)
    {
        // The optional "id" column is read where a label would be: the loader then keeps it with each text.
        var examples = TextDataset.LoadCsv(path, new TextColumns(Label: "id"), labelsOptional: true);
        Check(examples.Count);
        return examples.Select(e => new BatchItem(string.IsNullOrWhiteSpace(e.Label) ? $"line {e.Line}" : e.Label, Text: e.Text)).ToList();
    }

    private static IReadOnlyList<BatchItem> ReadTable(string path, IReadOnlyList<string> columns)
    {
        var table = TabularTable.Load(path);
        Check(table.Rows.Count);
        var missing = columns.Where(c => !table.Header.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the file lacks the model's column{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing.Select(m => $"'{m}'"))}; its header has: {string.Join(", ", table.Header)}");
        var id = Array.IndexOf(table.Header.ToArray(), "id");
        return table.Rows.Select((row, i) => new BatchItem(id >= 0 && !string.IsNullOrWhiteSpace(row[id]) ? row[id] : $"line {table.Lines[i]}",
            Row: table.Header.Select((name, c) => (name, value: row[c])).ToDictionary(x => x.name, x => (string?)x.value))).ToList();
    }

    private static IReadOnlyList<BatchItem> ReadImageNames(string path)
    {
        using var file = File.OpenRead(path);
        using var archive = ZipSafety.Open(file, ImageZipLimits.MaxEntries);
        var (files, _) = ZipSafety.Inspect(archive, ImageZipLimits);
        var images = files.Where(f => Path.GetExtension(f.Entry.FullName).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
            .Select(f => new BatchItem(string.Join('/', f.Segments), ImageEntry: f.Entry.FullName)).ToList();
        if (images.Count == 0)
            throw new InvalidDataException("the ZIP holds no PNG or JPEG image");
        return images;
    }

    /// <summary>An image entry's bytes, bounded by the size its entry declared (checked by <see cref="ZipSafety"/>).</summary>
    public static byte[] ReadEntry(ZipArchive archive, string name)
    {
        var entry = archive.GetEntry(name) ?? throw new InvalidDataException($"'{name}' is not in the ZIP");
        using var stream = entry.Open();
        var bytes = new byte[entry.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static void Check(int rows)
    {
        if (rows == 0)
            throw new InvalidDataException("the file has a header but no rows");
        if (rows > MaxRows)
            throw new InvalidDataException($"the file has {rows:N0} rows; a batch holds at most {MaxRows:N0}");
    }
}
