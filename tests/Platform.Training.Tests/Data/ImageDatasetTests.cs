using System.IO.Compression;
using Platform.Training.Data;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.Data;

public sealed class ImageDatasetTests
{
    private static readonly byte[] FakePng = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3];

    [Fact]
    public void Load_Directory_LabelsFromFolderNamesInOrdinalOrder()
    {
        using var dir = new TestDirectory();
        Write(dir.File("dog/2.png"), FakePng);
        Write(dir.File("cat/1.JPG"), [1]);
        Write(dir.File("cat/b.jpeg"), [2]);
        Write(dir.File("cat/notes.txt"), [3]);
        Write(dir.File("cat/.hidden.png"), [4]);

        var images = ImageDataset.Load(dir.Path);

        Assert.Equal(["cat/1.JPG", "cat/b.jpeg", "dog/2.png"], images.Select(i => i.Name));
        Assert.Equal(["cat", "cat", "dog"], images.Select(i => i.Label));
        Assert.Equal(FakePng, images[2].ReadBytes());
    }

    [Fact]
    public void Load_ZipWithRootFolder_StripsRoot()
    {
        using var dir = new TestDirectory();
        var zip = dir.File("d.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            Add(archive, "fashion/coat/1.png", FakePng);
            Add(archive, "fashion/bag/7.png", [9]);
            Add(archive, "__MACOSX/fashion/bag/._7.png", [0]);
        }

        var images = ImageDataset.Load(zip);

        Assert.Equal(["bag", "coat"], images.Select(i => i.Label));
        Assert.Equal(FakePng, images[1].ReadBytes());
    }

    [Fact]
    public void Load_ZipWithLabelFolders_ReadsBytes()
    {
        using var dir = new TestDirectory();
        var zip = dir.File("d.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            Add(archive, "a/x.png", [1, 2]);
            Add(archive, "b/y.png", [3]);
        }

        var images = ImageDataset.Load(zip);

        Assert.Equal(["a/x.png", "b/y.png"], images.Select(i => i.Name));
        Assert.Equal([1, 2], images[0].ReadBytes());
    }

    [Fact]
    public void Load_ImageOutsideLabelFolder_Throws()
    {
        using var dir = new TestDirectory();
        var zip = dir.File("d.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            Add(archive, "a/x.png", [1]);
            Add(archive, "loose.png", [1]);
        }

        var error = Assert.Throws<InvalidDataException>(() => ImageDataset.Load(zip));

        Assert.Contains("'loose.png' is not inside a label folder", error.Message);
    }

    [Fact]
    public void Load_NotAZip_Throws()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("d.zip"), "plain text");

        var error = Assert.Throws<InvalidDataException>(() => ImageDataset.Load(dir.File("d.zip")));

        Assert.Contains("not a ZIP archive", error.Message);
    }

    [Fact]
    public void Load_DirectoryWithoutImages_Throws()
    {
        using var dir = new TestDirectory();
        Write(dir.File("a/readme.txt"), [1]);

        Assert.Throws<InvalidDataException>(() => ImageDataset.Load(dir.Path));
    }

    [Fact]
    public void LoadUnlabelled_Directory_ReturnsAllImagesSorted()
    {
        using var dir = new TestDirectory();
        Write(dir.File("z.png"), [1]);
        Write(dir.File("sub/a.jpg"), [2]);

        var images = ImageDataset.LoadUnlabelled(dir.Path);

        Assert.Equal(["sub/a.jpg", "z.png"], images.Select(i => i.Name));
        Assert.All(images, i => Assert.Null(i.Label));
    }

    [Fact]
    public void LoadUnlabelled_NonImageFile_Throws()
    {
        using var dir = new TestDirectory();
        Write(dir.File("a.gif"), [1]);

        Assert.Throws<InvalidDataException>(() => ImageDataset.LoadUnlabelled(dir.File("a.gif")));
    }

    private static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private static void Add(ZipArchive archive, string name, byte[] bytes)
    {
        using var stream = archive.CreateEntry(name).Open();
        stream.Write(bytes);
    }
}
