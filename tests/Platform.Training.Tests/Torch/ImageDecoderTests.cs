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
    public void Decode_CorruptBytes_ThrowsTorchException()
    {
        var error = Assert.Throws<TorchException>(() => ImageDecoder.Decode("not an image"u8, 3, 8, 8));
        Assert.Contains("cannot decode image", error.Message);
    }

    private const string SolidJpeg = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAf/AABEIAAgACAMBEQACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AMGv8sD/AGxP/9k=";

    /// <summary>A minimal valid PNG (8-bit RGB, no filter) so the test needs no image library.</summary>
    private static byte[] Png(int width, int height, byte[] rgb)
    {
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        Chunk(output, "IHDR", header);
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(rgb, y * width * 3, width * 3);
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
