using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Platform.Data.Datasets;

/// <summary>One image of an image dataset, as its manifest (JSON lines, in record order) lists it.</summary>
public sealed record ImageManifestLine(string Hash, string Label, string Name);

public static class ImageManifest
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The manifest's images in record order (blank lines skipped).</summary>
    public static async IAsyncEnumerable<ImageManifestLine> ReadAsync(Stream manifest, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(manifest, leaveOpen: true);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
                continue;
            yield return JsonSerializer.Deserialize<ImageManifestLine>(line, Json)
                ?? throw new InvalidDataException("An image manifest line is empty.");
        }
    }
}
