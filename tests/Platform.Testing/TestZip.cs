using System.IO.Compression;

namespace Platform.Testing;

/// <summary>Builds ZIP archives entry by entry, including the hostile ones upload tests need.</summary>
public sealed class TestZip
{
    private readonly List<(string Name, byte[] Data, int? UnixMode, CompressionLevel Level)> _entries = [];

    public TestZip Add(string name, byte[] data, CompressionLevel level = CompressionLevel.Optimal)
    {
        _entries.Add((name, data, null, level));
        return this;
    }

    /// <summary>An entry whose unix mode marks it as a symbolic link pointing at <paramref name="target"/>.</summary>
    public TestZip AddSymlink(string name, string target)
    {
        _entries.Add((name, System.Text.Encoding.UTF8.GetBytes(target), 0xA1FF, CompressionLevel.NoCompression));
        return this;
    }

    /// <summary>A labelled image set: <paramref name="perLabel"/> distinct PNGs in each label folder.</summary>
    public static TestZip Images(int perLabel, params string[] labels)
    {
        var zip = new TestZip();
        byte seed = 0;
        foreach (var label in labels)
        {
            for (var i = 0; i < perLabel; i++)
            {
                zip.Add($"{label}/{label}-{i}.png", TestImages.Png(8, 6, seed++));
            }
        }
        return zip;
    }

    public byte[] ToArray()
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data, unixMode, level) in _entries)
            {
                var entry = archive.CreateEntry(name, level);
                if (unixMode is { } mode)
                {
                    entry.ExternalAttributes = mode << 16;
                }
                using var stream = entry.Open();
                stream.Write(data);
            }
        }
        return output.ToArray();
    }
}
