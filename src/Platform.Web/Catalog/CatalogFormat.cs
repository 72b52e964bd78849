using System.Globalization;
using Platform.Jobs.Catalog.Imports;
using Platform.Web.Components.Shared;

namespace Platform.Web.Catalog;

/// <summary>How the catalog pages word models and imports.</summary>
public static class CatalogFormat
{
    public static string Parameters(long count) => count switch
    {
        >= 1_000_000 => (count / 1e6).ToString("0.#M", CultureInfo.InvariantCulture),
        >= 1_000 => (count / 1e3).ToString("0.#k", CultureInfo.InvariantCulture),
        _ => count.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>base_models.source for people: "Hugging Face org/name @ 1a2b3c4d5e6f", "Uploaded ZIP", ...</summary>
    public static string Source(string source) => source switch
    {
        _ when source.StartsWith("hf:", StringComparison.Ordinal) && source.LastIndexOf('@') is var at and > 3 =>
            $"Hugging Face {source[3..at]} @ {source[(at + 1)..][..Math.Min(12, source.Length - at - 1)]}",
        _ when source.StartsWith("pretrain:", StringComparison.Ordinal) => $"Pre-trained here (job {source["pretrain:".Length..]})",
        "upload" => "Uploaded ZIP",
        "folder" => "Server folder",
        "preset" => "Architecture preset",
        "demo" => "Demo seed",
        _ => source,
    };

    public static string Progress(BaseModelImport import) => import.State switch
    {
        ImportStates.Queued => "Waiting to start.",
        ImportStates.Downloading when import.BytesTotal is { } total =>
            $"{(import.CurrentFile is { } file ? file + ": " : "")}{Format.Bytes(import.BytesDone)} of {Format.Bytes(total)} ({Format.Percent(import.Fraction ?? 0)}).",
        ImportStates.Downloading => "Asking the Hub for the model's files.",
        ImportStates.Validating when import.SourceKind == "upload" && import.CurrentFile is { } file =>
            $"Extracting {file}: {Format.Bytes(import.BytesDone)}{(import.BytesTotal is { } zip ? $" (ZIP of {Format.Bytes(zip)})" : "")}.",
        ImportStates.Validating => "Loading the model to check it.",
        _ => "",
    };
}
