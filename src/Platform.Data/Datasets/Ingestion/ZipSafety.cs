using System.IO.Compression;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>How much an archive may hold, and the words its refusals use ("image"/"dataset", "file"/"model").</summary>
public sealed record ZipLimits(int MaxEntries, long MaxEntryBytes, long MaxTotalBytes, double MaxCompressionRatio,
    string FileNoun = "file", string ArchiveNoun = "archive");

/// <summary>A regular file of an inspected archive with its checked path segments.</summary>
public sealed record SafeZipEntry(ZipArchiveEntry Entry, string[] Segments);

/// <summary>An archive refused by <see cref="ZipSafety"/>; the message is for the user.</summary>
public sealed class UnsafeZipException(string message) : Exception(message);

/// <summary>
/// The checks every uploaded ZIP goes through (image datasets, model folders) before a single byte is
/// decompressed: entry count, declared sizes and compression ratios (zip bombs), absolute and climbing
/// paths (zip slip), symbolic links. Extraction then never writes past the size an entry declared.
/// </summary>
public static class ZipSafety
{
    /// <summary>
    /// Opens <paramref name="zip"/> as an archive, or says it is not one. The entry limit is applied first,
    /// from the end of the file, because opening loads the whole central directory.
    /// </summary>
    public static ZipArchive Open(Stream zip, int maxEntries)
    {
        try
        {
            ZipCentralDirectory.CheckEntryCount(zip, maxEntries);
            return new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentOutOfRangeException)
        {
            throw new UnsafeZipException("The file is not a valid ZIP archive.");
        }
    }

    /// <summary>
    /// The archive's regular files (folders and operating-system litter such as __MACOSX and .DS_Store
    /// left out and counted as ignored), after every central-directory check has passed.
    /// </summary>
    public static (List<SafeZipEntry> Files, int Ignored) Inspect(ZipArchive archive, ZipLimits limits)
    {
        var entries = archive.Entries;
        if (entries.Count > limits.MaxEntries)
        {
            throw new UnsafeZipException($"The archive has {entries.Count:N0} entries; at most {limits.MaxEntries:N0} are allowed.");
        }
        var files = new List<SafeZipEntry>();
        long totalLength = 0, totalCompressed = 0;
        var ignored = 0;
        foreach (var entry in entries)
        {
            var segments = Split(entry.FullName);
            if (ZipEntryName.IsSymbolicLink(entry.ExternalAttributes))
            {
                throw new UnsafeZipException($"The archive contains a symbolic link ('{entry.FullName}'); only regular {limits.FileNoun} files are allowed.");
            }
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
            {
                continue;
            }
            if (ZipEntryName.IsSystemFile(segments))
            {
                ignored++;
                continue;
            }
            if (entry.Length > limits.MaxEntryBytes)
            {
                throw new UnsafeZipException($"'{entry.FullName}' is {entry.Length:N0} bytes uncompressed; one {limits.FileNoun} may be at most {limits.MaxEntryBytes:N0} bytes.");
            }
            if (entry.Length > 0 && (entry.CompressedLength == 0 || (double)entry.Length / entry.CompressedLength > limits.MaxCompressionRatio))
            {
                throw new UnsafeZipException($"'{entry.FullName}' expands more than {limits.MaxCompressionRatio:0}x when decompressed: the archive looks like a zip bomb.");
            }
            totalLength += entry.Length;
            totalCompressed += entry.CompressedLength;
            if (totalLength > limits.MaxTotalBytes)
            {
                throw new UnsafeZipException($"The archive holds more than {limits.MaxTotalBytes:N0} bytes uncompressed, the most one {limits.ArchiveNoun} may hold.");
            }
            files.Add(new SafeZipEntry(entry, segments));
        }
        if (totalCompressed > 0 && (double)totalLength / totalCompressed > limits.MaxCompressionRatio)
        {
            throw new UnsafeZipException($"The archive expands more than {limits.MaxCompressionRatio:0}x when decompressed: it looks like a zip bomb.");
        }
        return (files, ignored);
    }

    /// <summary>
    /// Decompresses one entry into <paramref name="target"/> but never past the size the central
    /// directory declared: an archive that lies about its sizes is refused instead of filling the disk.
    /// </summary>
    public static async Task CopyBoundedAsync(ZipArchiveEntry entry, Stream target, CancellationToken cancellationToken)
    {
        var declared = entry.Length;
        var buffer = new byte[81920];
        long total = 0;
        try
        {
            await using var stream = await entry.OpenAsync(cancellationToken);
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, declared + 1 - total)), cancellationToken)) > 0)
            {
                total += read;
                if (total > declared)
                {
                    break;
                }
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (InvalidDataException)
        {
            throw new UnsafeZipException($"'{entry.FullName}' cannot be decompressed: the archive is corrupt or uses an unsupported compression method.");
        }
        if (total != declared)
        {
            throw new UnsafeZipException($"'{entry.FullName}' does not match the size the archive declares for it: the archive is corrupt or crafted.");
        }
    }

    private static string[] Split(string fullName)
    {
        try
        {
            return ZipEntryName.Split(fullName);
        }
        catch (IngestionException e)
        {
            throw new UnsafeZipException(e.Message);
        }
    }
}
