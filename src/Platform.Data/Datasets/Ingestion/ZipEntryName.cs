namespace Platform.Data.Datasets.Ingestion;

/// <summary>Checks an entry name from the central directory before anything is extracted.</summary>
internal static class ZipEntryName
{
    private static readonly string[] SystemFiles = [".ds_store", "thumbs.db", "desktop.ini"];

    /// <summary>The path segments, or an error message for a name that could escape the target directory.</summary>
    public static string[] Split(string fullName)
    {
        var name = fullName.Replace('\\', '/');
        if (name.StartsWith('/') || (name.Length >= 2 && char.IsAsciiLetter(name[0]) && name[1] == ':'))
        {
            throw new IngestionException($"The archive contains an absolute path ('{fullName}'); entries must be relative (label/image.png).");
        }
        if (name.Any(char.IsControl))
        {
            throw new IngestionException($"The archive contains an entry name with control characters ('{Printable(fullName)}').");
        }
        var segments = name.TrimEnd('/').Split('/');
        if (segments.Any(s => s is ".." or "."))
        {
            throw new IngestionException($"The archive contains a path that climbs out of its folder ('{fullName}'); '..' is not allowed.");
        }
        if (segments.Any(s => s.Length == 0))
        {
            throw new IngestionException($"The archive contains a malformed path ('{fullName}').");
        }
        return segments;
    }

    /// <summary>Files operating systems add on their own (macOS resource forks, thumbnails): ignored.</summary>
    public static bool IsSystemFile(string[] segments) =>
        segments.Any(s => s.Equals("__MACOSX", StringComparison.OrdinalIgnoreCase))
        || segments[^1].StartsWith('.')
        || SystemFiles.Contains(segments[^1].ToLowerInvariant());

    public static bool IsSymbolicLink(int externalAttributes) =>
        ((externalAttributes >> 16) & 0xF000) == 0xA000;

    private static string Printable(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
