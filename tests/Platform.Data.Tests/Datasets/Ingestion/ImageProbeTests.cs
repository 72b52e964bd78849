using System.Text;
using Platform.Data.Datasets.Ingestion;
using Platform.Testing;

namespace Platform.Data.Tests.Datasets.Ingestion;

public class ImageProbeTests
{
    [Fact]
    public void Read_Png_ReturnsSizeFromIhdr()
    {
        Assert.Equal(new ImageInfo(ImageFormat.Png, 640, 480), ImageProbe.Read(TestImages.Png(640, 480)));
    }

    [Fact]
    public void Read_Jpeg_ReturnsSizeFromSof()
    {
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 1920, 1080), ImageProbe.Read(TestImages.JpegHeader(1920, 1080)));
    }

    [Fact]
    public void Read_TextFile_ReturnsNull()
    {
        Assert.Null(ImageProbe.Read(Encoding.UTF8.GetBytes("I am not a picture, whatever my name says")));
    }

    [Fact]
    public void Read_TruncatedPng_ReturnsNull()
    {
        Assert.Null(ImageProbe.Read(TestImages.Png(4, 4)[..20]));
    }

    [Fact]
    public void Read_JpegWithoutFrameHeader_ReturnsNull()
    {
        Assert.Null(ImageProbe.Read([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9]));
    }
}
