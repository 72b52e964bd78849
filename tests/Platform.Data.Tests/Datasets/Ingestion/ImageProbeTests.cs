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

    [Theory]
    [InlineData(0, false, false)]
    [InlineData(2, true, false)]
    [InlineData(4, false, true)]
    [InlineData(6, true, true)]
    public void Read_PngColourType_TellsColourAndTransparency(byte colourType, bool colour, bool transparency)
    {
        var png = TestImages.Png(3, 3);
        png[25] = colourType;

        var info = ImageProbe.Read(png)!.Value;

        Assert.Equal((colour, transparency), (info.Colour, info.Transparency));
    }

    [Fact]
    public void Read_PngWithTransparencyChunk_IsTransparent()
    {
        var png = TestImages.Png(3, 3);
        // IHDR ends at 33; a tRNS chunk (length 2, no CRC check here) goes before IDAT.
        byte[] trns = [0, 0, 0, 2, (byte)'t', (byte)'R', (byte)'N', (byte)'S', 0, 0, 0, 0, 0, 0];
        byte[] withChunk = [.. png[..33], .. trns, .. png[33..]];

        Assert.True(ImageProbe.Read(withChunk)!.Value.Transparency);
        Assert.False(ImageProbe.Read(png)!.Value.Transparency);
    }

    [Fact]
    public void Read_GreyJpeg_IsNotColour()
    {
        var jpeg = TestImages.JpegHeader(8, 8);
        // The SOF0 component count follows precision, height and width.
        var sof = Array.IndexOf(jpeg, (byte)0xC0) - 1;
        jpeg[sof + 9] = 1;

        Assert.False(ImageProbe.Read(jpeg)!.Value.Colour);
        Assert.True(ImageProbe.Read(TestImages.JpegHeader(8, 8))!.Value.Colour);
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
