using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// Reads a ZIP of label/image files. Everything the central directory can tell is checked before a
/// single byte is decompressed: entry count, declared sizes and compression ratios (zip bombs),
/// absolute and climbing paths (zip slip), symbolic links, the folder layout and the label counts.
/// Only then is each image decompressed, bounded by its declared size, identified by its magic
/// bytes, measured from its header, decoded completely (so a truncated file never reaches a job)
/// and stored. Byte-identical images follow the text rule (<see cref="ContentCopies{TKey}"/>): a copy
/// in the same label folder is skipped, a copy in another label folder is kept, and both are reported.
/// </summary>
internal sealed class ImageIngester(DatasetOptions options, IImageVerifier verifier)
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg"];
    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web);

    public async Task<ImageIngestion> IngestAsync(Stream zip, ArtifactBatch artifacts, CancellationToken cancellationToken)
    {
        try
        {
            using var archive = ZipSafety.Open(zip, options.MaxZipEntries);
            var (images, ignored) = Inspect(archive);
            // Fail on too few classes before decompressing anything.
            var early = DatasetProfile.Build([.. images.Select(i => i.Label)], DatasetStats.Empty, [], options.Rules);
            if (!early.IsSuccess)
            {
                throw new IngestionException(early.Error!);
            }
            return await ExtractAsync(images, ignored, artifacts, cancellationToken);
        }
        catch (UnsafeZipException e)
        {
            throw new IngestionException(e.Message);
        }
    }

    private sealed record PlannedImage(ZipArchiveEntry Entry, string Label, string Name);

    private (List<PlannedImage> Images, int Ignored) Inspect(ZipArchive archive)
    {
        var (files, ignored) = ZipSafety.Inspect(archive, new ZipLimits(options.MaxZipEntries, options.MaxImageBytes,
            options.MaxZipUncompressedBytes, options.MaxCompressionRatio, FileNoun: "image", ArchiveNoun: "dataset"));
        if (files.Count == 0)
        {
            throw new IngestionException("The archive contains no images. Put each image in a folder named after its label (cat/1.png, dog/2.jpg).");
        }
        return (Layout([.. files.Select(f => (f.Entry, f.Segments))]), ignored);
    }

    /// <summary>label/image files, optionally all inside one top-level folder (what zipping a folder gives).</summary>
    private static List<PlannedImage> Layout(List<(ZipArchiveEntry Entry, string[] Segments)> files)
    {
        var root = files[0].Segments[0];
        var wrapped = files.All(f => f.Segments.Length == 3 && f.Segments[0] == root);
        var images = new List<PlannedImage>();
        foreach (var (entry, segments) in files)
        {
            var relative = wrapped ? segments[1..] : segments;
            if (relative.Length != 2)
            {
                throw new IngestionException(
                    $"'{entry.FullName}' is not in a label folder. Put each image in a folder named after its label (cat/1.png, dog/2.jpg), with no deeper folders.");
            }
            if (!ImageExtensions.Contains(Path.GetExtension(relative[1]).ToLowerInvariant()))
            {
                throw new IngestionException($"'{entry.FullName}' is not a PNG or JPEG file; only .png, .jpg and .jpeg images are accepted.");
            }
            images.Add(new PlannedImage(entry, relative[0].Trim(), string.Join('/', relative)));
        }
        // Record order is fixed by name, not by archive order, so re-zipping the same folder gives the same dataset.
        return [.. images.OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    private async Task<ImageIngestion> ExtractAsync(List<PlannedImage> planned, int ignored, ArtifactBatch artifacts, CancellationToken cancellationToken)
    {
        var manifest = new MemoryStream();
        var labels = new List<string>();
        var widths = new List<int>();
        var heights = new List<int>();
        int colour = 0, transparent = 0;
        var samples = new Dictionary<string, List<DatasetSample>>(StringComparer.Ordinal);
        var names = new List<string>();
        var copies = new ContentCopies<string>(record => names[record]);
        var duplicates = new List<string>();
        foreach (var image in planned)
        {
            var bytes = await ReadBoundedAsync(image.Entry, cancellationToken);
            var info = ImageProbe.Read(bytes) ?? throw new IngestionException(
                $"'{image.Entry.FullName}' is not a PNG or JPEG image (its content does not start like one, whatever its name says).");
            if (info.Width > options.MaxImageSide || info.Height > options.MaxImageSide)
            {
                throw new IngestionException(
                    $"'{image.Entry.FullName}' is {info.Width}x{info.Height} pixels; images may be at most {options.MaxImageSide}x{options.MaxImageSide}.");
            }
            if (info.Format == ImageFormat.Jpeg && !ImageProbe.JpegHasScan(bytes))
            {
                throw new IngestionException($"'{image.Entry.FullName}' has no image data after its JPEG header: the file is truncated or corrupt.");
            }
            if (verifier.Verify(bytes, options.MaxImageSide) is { } broken)
            {
                throw new IngestionException($"'{image.Entry.FullName}' cannot be decoded ({broken}): the file is truncated or corrupt.");
            }
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var shownName = WarningList.Name(image.Name);
            if (copies.Add(hash, image.Label, labels.Count, shownName) == CopyKind.Duplicate)
            {
                duplicates.Add(shownName);
                continue;
            }
            await artifacts.PutAsync(new MemoryStream(bytes, writable: false), cancellationToken);
            names.Add(shownName);
            if (!samples.TryGetValue(image.Label, out var list))
            {
                samples[image.Label] = list = [];
            }
            if (list.Count < options.SampleCount)
            {
                list.Add(new DatasetSample(labels.Count, image.Label, image.Name, hash));
            }
            var entry = new ImageManifestEntry(hash, image.Label, image.Name, info.Format == ImageFormat.Png ? "png" : "jpeg", info.Width, info.Height);
            await JsonSerializer.SerializeAsync(manifest, entry, ManifestJson, cancellationToken);
            manifest.WriteByte((byte)'\n');
            labels.Add(image.Label);
            widths.Add(info.Width);
            heights.Add(info.Height);
            colour += info.Colour ? 1 : 0;
            transparent += info.Transparency ? 1 : 0;
        }
        var manifestHash = await artifacts.PutAsync(manifest, cancellationToken);
        var warnings = new List<string>();
        if (duplicates.Count > 0)
        {
            warnings.Add($"{duplicates.Count:N0} duplicate image{(duplicates.Count == 1 ? "" : "s")} skipped (same bytes as an image kept in the same label folder): " +
                $"{WarningList.Of(duplicates, duplicates.Count)}.");
        }
        if (copies.Describe("image", "same bytes") is { } otherLabels)
        {
            warnings.Add(otherLabels);
        }
        if (ignored > 0)
        {
            warnings.Add($"{ignored} system file{(ignored == 1 ? "" : "s")} ignored (__MACOSX, .DS_Store, Thumbs.db).");
        }
        var stats = DatasetStats.Of(widths) with
        {
            MinHeight = heights.Min(), MaxHeight = heights.Max(), ColourCount = colour, TransparentCount = transparent,
        };
        return new ImageIngestion(manifestHash, labels, stats, warnings, SampleSelection.RoundRobin(samples.Values, options.SampleCount), copies.CopyOf);
    }

    /// <summary>One image in memory, never read past the size the archive declared for it (ZipSafety).</summary>
    private static async Task<byte[]> ReadBoundedAsync(ZipArchiveEntry entry, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)entry.Length);
        await ZipSafety.CopyBoundedAsync(entry, buffer, cancellationToken);
        return buffer.ToArray();
    }
}
