using System.IO.Compression;
using Platform.Data.Datasets.Ingestion;

namespace Platform.Jobs.Catalog.Imports;

/// <summary>
/// A model folder zipped in the browser: config.json, vocab.txt and model.safetensors (tokenizer files
/// optional) at the top of the archive or inside one folder, what zipping a folder gives. The archive
/// passes the same safety checks as a dataset upload (ZipSafety) before anything is extracted; other
/// files (README.md, tokenizer.json, ...) are left out.
/// </summary>
internal static class ModelZip
{
    /// <summary>A model folder is a handful of files; a thousand entries is already generous.</summary>
    public const int MaxEntries = 1_000;

    /// <summary>The entry to extract for each catalog file name found; throws <see cref="UnsafeZipException"/> with the reason.</summary>
    public static Dictionary<string, ZipArchiveEntry> Plan(ZipArchive archive, long maxBytes)
    {
        var (files, _) = ZipSafety.Inspect(archive, new ZipLimits(MaxEntries: MaxEntries, MaxEntryBytes: maxBytes, MaxTotalBytes: maxBytes,
            // Weights barely compress; text files (vocab.txt) do, a few times: a larger ratio is a bomb.
            MaxCompressionRatio: 100, FileNoun: "model", ArchiveNoun: "model folder"));
        if (files.Count == 0)
            throw new UnsafeZipException("The archive is empty. Zip a model folder holding config.json, vocab.txt and model.safetensors.");
        var depth = files.Any(f => f.Segments.Length == 1 && f.Segments[0] == "config.json") ? 1 : 2;
        var root = depth == 2 ? files.FirstOrDefault(f => f.Segments.Length == 2 && f.Segments[1] == "config.json")?.Segments[0] : null;
        var plan = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var inFolder = depth == 1 ? file.Segments.Length == 1 : file.Segments.Length == 2 && file.Segments[0] == root;
            if (inFolder && BaseModelCatalog.TextModelFiles.Contains(file.Segments[^1]))
                plan[file.Segments[^1]] = file.Entry;
        }
        var names = files.Where(f => f.Segments.Length <= 2).Select(f => f.Segments[^1]).ToHashSet(StringComparer.Ordinal);
        if (!plan.ContainsKey("model.safetensors"))
        {
            if (names.Any(n => n is "pytorch_model.bin" || n.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase)))
                throw new UnsafeZipException(PickleOnly("The archive"));
            if (names.Any(n => n.StartsWith("model-", StringComparison.Ordinal) && n.EndsWith(".safetensors", StringComparison.Ordinal)))
                throw new UnsafeZipException("The weights are split into several safetensors files; the platform imports a single model.safetensors.");
        }
        foreach (var required in BaseModelCatalog.TextModelFiles.Take(3))
        {
            if (!plan.ContainsKey(required))
                throw new UnsafeZipException($"The archive has no {required}. Zip the model folder itself: config.json, vocab.txt and model.safetensors at its top (or in one folder).");
        }
        return plan;
    }

    /// <summary>Why PyTorch pickle weights are refused, for the Hub import and the ZIP upload alike.</summary>
    public static string PickleOnly(string what) =>
        $"{what} has only PyTorch pickle weights (pytorch_model.bin or .ckpt). Loading a pickle can run arbitrary code, so the platform " +
        "imports model.safetensors only. Convert the weights to safetensors first, or pick a revision that has model.safetensors " +
        "(on the Hub, the \"Adding `safetensors` variant\" pull request of a model often has one: revision refs/pr/N).";
}
