using System.IO.Compression;
using System.Text;
using Platform.Data.Datasets.Ingestion;
using Platform.Training.Data;
using Platform.Training.Tabular;

namespace Platform.Jobs.Predictions;

/// <summary>
/// One row of a batch: how the result file names it (the file's "id" column, the line, or the image's
/// path), its input, and its values of the file's columns the model does not read (<see cref="Carried"/>,
/// in the order of <see cref="BatchFile.CarriedColumns"/>).
/// </summary>
internal sealed record BatchItem(string Id, string? Text = null, IReadOnlyDictionary<string, string?>? Row = null, string? ImageEntry = null,
    IReadOnlyList<string>? Carried = null);

/// <summary>A batch file read: its rows, and the file's other columns, which the result carries through (none for images).</summary>
internal sealed record BatchFile(IReadOnlyList<BatchItem> Items, IReadOnlyList<string> CarriedColumns);

/// <summary>
/// Reads a batch prediction's uploaded file for the model's kind: a CSV with a "text" column (text models),
/// a CSV with the model's columns (tabular models), or a ZIP of PNG/JPEG images in any folders (image
/// models). CSV columns are matched by name, in any order; an "id" column, when present, names each row in
/// the result (otherwise its line does), and every other column the model does not read is carried through
/// to the result, so its rows join back to the caller's data. The same limits as uploads hold (rows, ZIP
/// entries and sizes), and the same reading runs at launch and in the job: what the job would refuse, the
/// launch refuses first, with the same message.
/// </summary>
internal static class BatchInputs
{
    public const int MaxRows = 100_000;

    public const string IdColumn = "id";
    public const string TextColumn = "text";

    public static readonly ZipLimits ImageZipLimits = new(MaxRows, 10L * 1024 * 1024, 2L * 1024 * 1024 * 1024, 200, "image", "batch");

    /// <summary>The file name's extension decides the format, as for dataset uploads.</summary>
    public static string? Refusal(string modelKind, string fileName) => (modelKind, Path.GetExtension(fileName).ToLowerInvariant()) switch
    {
        ("bert" or "tabular", ".csv") => null,
        ("cnn", ".zip") => null,
        ("cnn", _) => "An image model classifies a ZIP of PNG or JPEG images.",
        _ => "A text or tabular model classifies a CSV file with a header row.",
    };

    /// <summary>
    /// The file's rows, or an <see cref="InvalidDataException"/> (or <see cref="UnsafeZipException"/>) whose
    /// message the uploader can act on: it names the missing column, the line and the bad value, never a path.
    /// </summary>
    public static BatchFile Read(string modelKind, string path, TabularPreprocessor? table = null) => modelKind switch
    {
        "bert" => ReadCsv(path, [TextColumn], (cell, item) => item with { Text = cell(TextColumn) }),
        "tabular" => ReadTable(path, table ?? throw new InvalidDataException("the model has no preprocessing.json, so its columns are unknown")),
        _ => ReadImageNames(path),
    };

    private static BatchFile ReadTable(string path, TabularPreprocessor table)
    {
        var buffer = new float[table.Width];
        return ReadCsv(path, table.Columns.Select(c => c.Name).ToList(), (cell, item) =>
        {
            // Only the model's columns: the classifier refuses a column it does not know.
            var row = table.Columns.ToDictionary(c => c.Name, c => (string?)cell(c.Name), StringComparer.Ordinal);
            // A cell the model cannot read ("abc" in a numeric column) is found here, with its line, not by the job.
            table.Transform(name => row[name], buffer);
            return item with { Row = row };
        });
    }

    /// <summary>
    /// Reads a CSV whose header must name <paramref name="required"/>; <paramref name="input"/> adds the model's
    /// input to a row's item from its cells by column name (and may refuse the row). The header is trimmed, as dataset uploads trim it.
    /// </summary>
    private static BatchFile ReadCsv(string path, IReadOnlyList<string> required, Func<Func<string, string>, BatchItem, BatchItem> input)
    {
        using var csv = CsvReader.Open(path);
        try
        {
            var header = (csv.ReadRecord() ?? throw new InvalidDataException("the file is empty; a header row with the column names is required"))
                .Select(h => h.Trim()).ToArray();
            if (header.Length > TabularTable.MaxColumns)
                throw new InvalidDataException($"the header has {header.Length} columns; at most {TabularTable.MaxColumns}");
            var blank = Array.FindIndex(header, string.IsNullOrEmpty);
            if (blank >= 0)
                throw new InvalidDataException($"column {blank + 1} of the header has no name");
            if (header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new InvalidDataException($"the header names column '{twice.Key}' twice");
            var missing = required.Where(c => !header.Contains(c, StringComparer.Ordinal)).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"missing column{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing.Select(m => $"'{m}'"))} "
                    + $"(the model reads {Names(required)}; the file's header has {Names(header)})");

            var index = header.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
            var id = index.GetValueOrDefault(IdColumn, -1);
            var carried = Enumerable.Range(0, header.Length).Where(i => i != id && !required.Contains(header[i], StringComparer.Ordinal)).ToArray();
            var items = new List<BatchItem>();
            while (csv.ReadRecord() is { } record)
            {
                var line = csv.RecordLine;
                if (record.Length != header.Length)
                    throw new InvalidDataException($"line {line} has {record.Length} fields; the header has {header.Length}");
                if (items.Count == MaxRows)
                    throw new InvalidDataException($"the file has more than {MaxRows:N0} rows; a batch holds at most {MaxRows:N0}");
                var item = new BatchItem(id >= 0 && !string.IsNullOrWhiteSpace(record[id]) ? record[id].Trim() : $"line {line}",
                    Carried: carried.Select(i => record[i]).ToArray());
                try
                {
                    items.Add(input(name => record[index[name]], item));
                }
                catch (InvalidDataException ex)
                {
                    throw new InvalidDataException($"line {line}: {ex.Message}", ex);
                }
            }
            if (items.Count == 0)
                throw new InvalidDataException("the file has a header but no rows");
            return new BatchFile(items, carried.Select(i => header[i]).ToArray());
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException("the file is not UTF-8 text", ex);
        }
    }

    /// <summary>Column names for a message: the first twenty, then how many more.</summary>
    private static string Names(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(20)) + (names.Count > 20 ? $" and {names.Count - 20} more" : "");

    private static BatchFile ReadImageNames(string path)
    {
        using var file = File.OpenRead(path);
        using var archive = ZipSafety.Open(file, ImageZipLimits.MaxEntries);
        var (files, _) = ZipSafety.Inspect(archive, ImageZipLimits);
        var images = files.Where(f => Path.GetExtension(f.Entry.FullName).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
            .Select(f => new BatchItem(string.Join('/', f.Segments), ImageEntry: f.Entry.FullName)).ToList();
        if (images.Count == 0)
            throw new InvalidDataException("the ZIP holds no PNG or JPEG image");
        return new BatchFile(images, []);
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
}
