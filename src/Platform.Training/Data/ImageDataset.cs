using System.IO.Compression;

namespace Platform.Training.Data;

/// <summary>One image file; decoding is native (the binding), so this carries only the bytes or the path.</summary>
public sealed class ImageExample
{
    private readonly string? _path;
    private readonly byte[]? _bytes;

    private ImageExample(string name, string? label, string? path, byte[]? bytes)
    {
        Name = name;
        Label = label;
        _path = path;
        _bytes = bytes;
    }

    /// <summary>The path inside the ZIP or directory, with '/' separators.</summary>
    public string Name { get; }
    public string? Label { get; }

    public static ImageExample FromFile(string name, string? label, string path) => new(name, label, path, null);

    public static ImageExample FromBytes(string name, string? label, byte[] bytes) => new(name, label, null, bytes);

    public byte[] ReadBytes() => _bytes ?? File.ReadAllBytes(_path!);
}

/// <summary>Image datasets: a ZIP or a directory with one folder per label holding PNG/JPEG files.</summary>
public static class ImageDataset
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    public static bool IsImageFile(string name) =>
        Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Labelled images in ordinal order of their names, so every load gives the same order.</summary>
    public static IReadOnlyList<ImageExample> Load(string path)
    {
        if (Directory.Exists(path))
        {
            return LoadDirectory(path);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"data not found: {path}", path);
        }

        return LoadZip(path);
    }

    /// <summary>Unlabelled images for prediction: one image file, or every image under a directory.</summary>
    public static IReadOnlyList<ImageExample> LoadUnlabelled(string path)
    {
        if (File.Exists(path))
        {
            if (!IsImageFile(path))
            {
                throw new InvalidDataException($"{path}: not a .png, .jpg or .jpeg file");
            }

            return [ImageExample.FromFile(Path.GetFileName(path), null, path)];
        }

        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"input not found: {path}", path);
        }

        var images = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => IsImageFile(f) && !IsHidden(Path.GetRelativePath(path, f)))
            .Select(f => ImageExample.FromFile(Path.GetRelativePath(path, f).Replace('\\', '/'), null, f))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        return images.Count > 0 ? images : throw new InvalidDataException($"{path}: no .png, .jpg or .jpeg files");
    }

    private static List<ImageExample> LoadDirectory(string root)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Relative: Path.GetRelativePath(root, f).Replace('\\', '/'), Full: f))
            .Where(f => IsImageFile(f.Relative) && !IsHidden(f.Relative))
            .ToList();
        return Label(files.Select(f => f.Relative).ToList(), root, (name, label) => ImageExample.FromFile(name, label, Path.Combine(root, name)));
    }

    private static List<ImageExample> LoadZip(string path)
    {
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a ZIP archive ({e.Message})", e);
        }

        using (archive)
        {
            var entries = archive.Entries
                .Where(e => e.Length > 0 || !e.FullName.EndsWith('/'))
                .Where(e => IsImageFile(e.FullName) && !IsHidden(e.FullName))
                .ToDictionary(e => e.FullName, StringComparer.Ordinal);
            return Label(entries.Keys.ToList(), path, (name, label) => ImageExample.FromBytes(name, label, ReadEntry(entries[name])));
        }
    }

    private static List<ImageExample> Label(List<string> names, string source, Func<string, string, ImageExample> create)
    {
        if (names.Count == 0)
        {
            throw new InvalidDataException($"{source}: no .png, .jpg or .jpeg files");
        }

        // A ZIP made by compressing a folder puts everything under that folder: "fashion/coat/1.png".
        var prefix = CommonRoot(names);
        var examples = new List<ImageExample>(names.Count);
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var parts = name[prefix.Length..].Split('/');
            if (parts.Length != 2)
            {
                throw new InvalidDataException($"{source}: '{name}' is not inside a label folder (expected label/image.png)");
            }

            examples.Add(create(name, parts[0]));
        }

        return examples;
    }

    private static string CommonRoot(List<string> names)
    {
        var first = names[0].Split('/');
        if (first.Length != 3)
        {
            return "";
        }

        var root = first[0] + "/";
        return names.All(n => n.StartsWith(root, StringComparison.Ordinal) && n.Count(c => c == '/') == 2) ? root : "";
    }

    // macOS archives carry "__MACOSX/" resource forks and "._name" files next to every image.
    private static bool IsHidden(string relative) =>
        relative.Split('/').Any(part => part.StartsWith('.') || part == "__MACOSX");

    private static byte[] ReadEntry(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var buffer = new MemoryStream((int)Math.Min(entry.Length, int.MaxValue));
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
