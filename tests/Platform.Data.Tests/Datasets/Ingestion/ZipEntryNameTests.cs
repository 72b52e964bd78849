using Platform.Data.Datasets.Ingestion;

namespace Platform.Data.Tests.Datasets.Ingestion;

public class ZipEntryNameTests
{
    [Theory]
    [InlineData("../evil.png")]
    [InlineData("cat/../../evil.png")]
    [InlineData("cat\\..\\..\\evil.png")]
    [InlineData("/etc/cron.d/evil.png")]
    [InlineData("C:/Windows/evil.png")]
    [InlineData("cat//x.png")]
    public void Split_EscapingOrMalformedPath_Throws(string name)
    {
        Assert.Throws<IngestionException>(() => ZipEntryName.Split(name));
    }

    [Fact]
    public void Split_LabelFile_ReturnsSegments()
    {
        Assert.Equal(["cat", "1.png"], ZipEntryName.Split("cat\\1.png"));
    }

    [Theory]
    [InlineData(0xA1FF, true)]
    [InlineData(0x81A4, false)]
    [InlineData(0x0000, false)]
    public void IsSymbolicLink_UnixMode_DetectsLinks(int mode, bool expected)
    {
        Assert.Equal(expected, ZipEntryName.IsSymbolicLink(mode << 16));
    }

    [Theory]
    [InlineData("__MACOSX/cat/._1.png", true)]
    [InlineData("cat/.DS_Store", true)]
    [InlineData("cat/Thumbs.db", true)]
    [InlineData("cat/1.png", false)]
    public void IsSystemFile_Name_Recognised(string name, bool expected)
    {
        Assert.Equal(expected, ZipEntryName.IsSystemFile(ZipEntryName.Split(name)));
    }
}
