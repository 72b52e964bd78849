using System.IO.Compression;
using Platform.Training.Torch;
using Platform.Training.Torch.Vision;

namespace Platform.Training.Tests.Torch;

public sealed class ImageDecoderTests
{
    [Fact]
    public void Decode_Png_GivesNormalisedChwValues()
    {
        // 2x1 RGB: a red and a blue pixel.
        var png = Png(2, 1, [255, 0, 0, 0, 0, 255]);
        Assert.Equal((2, 1, 3), ImageDecoder.Info(png));
        using var t = ImageDecoder.Decode(png, 3, 1, 2, mean: [0.5f, 0.5f, 0.5f], std: [0.5f, 0.5f, 0.5f]);
        Assert.Equal([3L, 1L, 2L], t.Shape);
        Assert.Equal([1f, -1f, -1f, -1f, -1f, 1f], t.ToFloatArray());
    }

    [Fact]
    public void Decode_TransparentPixels_CompositedOntoWhiteByDefault()
    {
        // A black glyph pixel, a see-through pixel (its colour black, as icon themes store it), and a half-transparent black one.
        var png = Png(3, 1, [0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128], colourType: 6);

        using var grey = ImageDecoder.Decode(png, 1, 1, 3);
        using var onBlack = ImageDecoder.Decode(png, 3, 1, 3, background: [0, 0, 0]);

        // Dropping the alpha channel used to make all three black: the glyph vanished.
        Assert.Equal([0f, 1f, 127 / 255f], grey.ToFloatArray(), new ToleranceComparer(1e-6f));
        Assert.All(onBlack.ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Decode_GreyWithAlpha_CompositedOntoBackground()
    {
        var png = Png(2, 1, [10, 255, 10, 0], colourType: 4);

        using var rgb = ImageDecoder.Decode(png, 3, 1, 2, background: [0, 100, 200]);

        Assert.Equal([10 / 255f, 0f, 10 / 255f, 100 / 255f, 10 / 255f, 200 / 255f], rgb.ToFloatArray(), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void Decode_OpaqueRgbToGrey_UsesStbLumaWeights()
    {
        // (r*77 + g*150 + b*29) >> 8, stb_image's conversion, so opaque images decode as they always did.
        var png = Png(1, 1, [200, 100, 50], colourType: 2);

        using var grey = ImageDecoder.Decode(png, 1, 1, 1);

        Assert.Equal(((200 * 77 + 100 * 150 + 50 * 29) >> 8) / 255f, grey.ToFloatArray()[0], 1e-6f);
    }

    [Fact]
    public void Decode_HugeDeclaredSize_RefusedBeforeDecoding()
    {
        // A greyscale IHDR that claims 30000x30000 pixels: stb accepts the size and would decode 900 MB
        // (3.6 GB as RGBA) from a file of a few hundred kilobytes.
        var png = Png(1, 1, [0], colourType: 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 30000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 30000);

        var error = Assert.Throws<TorchException>(() => ImageDecoder.Decode(png, 3, 8, 8));

        Assert.Contains("30000x30000", error.Message);
    }

    [Fact]
    public void Preview_MatchesDecodeBeforeNormalisation()
    {
        var png = Png(4, 2, Enumerable.Range(0, 32).Select(i => (byte)(i * 8)).ToArray(), colourType: 6);

        var preview = ImageDecoder.Preview(png, 3, 2, 4);
        using var decoded = ImageDecoder.Decode(png, 3, 2, 4);

        var chw = decoded.ToFloatArray();
        for (var i = 0; i < 8; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(chw[c * 8 + i], preview[i * 3 + c] / 255f, 1e-6f);
            }
        }
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }

    [Fact]
    public void Decode_RgbToGreyWithResize_GivesRequestedShape()
    {
        var pixels = Enumerable.Repeat((byte)128, 8 * 8 * 3).ToArray();
        using var t = ImageDecoder.Decode(Png(8, 8, pixels), 1, 4, 4);
        Assert.Equal([1L, 4L, 4L], t.Shape);
        Assert.All(t.ToFloatArray(), v => Assert.Equal(128 / 255f, v, 1e-2));
    }

    [Fact]
    public void Decode_Jpeg_GivesColourWithinCompressionError()
    {
        // An 8x8 JPEG of RGB (200, 100, 50), quality 100, written once with stb_image_write.
        var jpeg = Convert.FromBase64String(SolidJpeg);
        Assert.Equal((8, 8, 3), ImageDecoder.Info(jpeg));
        using var t = ImageDecoder.Decode(jpeg, 3, 8, 8);
        var values = t.ToFloatArray();
        float[] expected = [200 / 255f, 100 / 255f, 50 / 255f];
        for (var c = 0; c < 3; c++)
        {
            Assert.All(values.Skip(c * 64).Take(64), v => Assert.Equal(expected[c], v, 3 / 255.0));
        }
    }

    [Fact]
    public void Verify_CompleteImages_ReturnsTheirSize()
    {
        Assert.Equal((2, 1, 3), ImageDecoder.Verify(Png(2, 1, [255, 0, 0, 0, 0, 255])));
        Assert.Equal((8, 8, 3), ImageDecoder.Verify(Convert.FromBase64String(SolidJpeg)));
    }

    [Fact]
    public void Verify_TruncatedPng_ThrowsThoughItsHeaderReads()
    {
        var pixels = Enumerable.Range(0, 64 * 64 * 3).Select(i => (byte)(i * 31 % 251)).ToArray();
        var png = Png(64, 64, pixels);
        var truncated = png[..(png.Length * 6 / 10)];

        Assert.Equal((64, 64, 3), ImageDecoder.Info(truncated));
        Assert.Throws<TorchException>(() => ImageDecoder.Verify(truncated));
    }

    [Fact]
    public void Verify_TruncatedJpeg_Throws()
    {
        var jpeg = Convert.FromBase64String(SolidJpeg);

        Assert.Throws<TorchException>(() => ImageDecoder.Verify(jpeg[..(jpeg.Length * 6 / 10)]));
    }

    [Fact]
    public void Verify_DecompressionBomb_RefusedFromItsHeader()
    {
        // 30000x30000 grey declared; refused before a pixel (900 MB of them) is allocated.
        var bomb = Png(1, 1, [0], colourType: 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(16), 30_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(20), 30_000);

        var error = Assert.Throws<TorchException>(() => ImageDecoder.Verify(bomb));
        Assert.Contains("30000x30000", error.Message);
    }

    [Fact]
    public void Decode_CorruptBytes_ThrowsTorchException()
    {
        var error = Assert.Throws<TorchException>(() => ImageDecoder.Decode("not an image"u8, 3, 8, 8));
        Assert.Contains("cannot decode image", error.Message);
    }

    private const string SolidJpeg = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAf/AABEIAAgACAMBEQACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AMGv8sD/AGxP/9k=";

    /// <summary>A minimal valid PNG (8-bit RGB, no filter) so the test needs no image library.</summary>
    private static byte[] Png(int width, int height, byte[] rgb) => Png(width, height, rgb, colourType: 2);

    /// <param name="colourType">0 grey, 2 RGB, 4 grey + alpha, 6 RGBA: the bytes per pixel follow it.</param>
    private static byte[] Png(int width, int height, byte[] pixels, byte colourType)
    {
        var channels = colourType switch { 0 => 1, 2 => 3, 4 => 2, _ => 4 };
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colourType;
        Chunk(output, "IHDR", header);
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(pixels, y * width * channels, width * channels);
        }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(z);
        Chunk(output, "IDAT", compressed.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        output.Write(typeBytes);
        output.Write(data);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, Crc32([.. typeBytes, .. data]));
        output.Write(length);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
