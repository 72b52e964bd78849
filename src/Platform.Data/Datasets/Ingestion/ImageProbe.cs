using System.Buffers.Binary;

namespace Platform.Data.Datasets.Ingestion;

internal enum ImageFormat
{
    Png,
    Jpeg,
}

/// <param name="Colour">False for greyscale (PNG grey, JPEG with one component).</param>
/// <param name="Transparency">An alpha channel or a tRNS chunk: some pixels may be see-through.</param>
internal readonly record struct ImageInfo(ImageFormat Format, int Width, int Height, bool Colour = true, bool Transparency = false);

/// <summary>
/// Identifies PNG and JPEG by their magic bytes and reads the pixel size from the header (PNG IHDR,
/// JPEG SOFn) without decoding, so a file's name or extension decides nothing.
/// </summary>
internal static class ImageProbe
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The format and size, or null when the bytes are neither a PNG nor a JPEG with a readable header.</summary>
    public static ImageInfo? Read(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(PngSignature))
        {
            return ReadPng(data);
        }
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return ReadJpeg(data);
        }
        return null;
    }

    private static ImageInfo? ReadPng(ReadOnlySpan<byte> data)
    {
        // Signature, then the first chunk must be IHDR: length(4) type(4) width(4) height(4).
        if (data.Length < 24 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return null;
        }
        var width = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue || data.Length < 26)
        {
            return null;
        }
        // Colour type: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGB + alpha.
        var colourType = data[25];
        return new ImageInfo(ImageFormat.Png, (int)width, (int)height,
            Colour: colourType is 2 or 3 or 6,
            Transparency: colourType is 4 or 6 || HasTransparencyChunk(data));
    }

    /// <summary>A tRNS chunk before the image data makes palette, grey or RGB pixels see-through.</summary>
    private static bool HasTransparencyChunk(ReadOnlySpan<byte> data)
    {
        var i = 8;
        while (i + 8 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            var type = data.Slice(i + 4, 4);
            if (type.SequenceEqual("tRNS"u8))
            {
                return true;
            }
            if (type.SequenceEqual("IDAT"u8) || length > int.MaxValue - 12 || i + 12L + length > data.Length)
            {
                return false;
            }
            i += 12 + (int)length;
        }
        return false;
    }

    /// <summary>
    /// Whether a JPEG's markers reach a start of scan (the compressed pixels). The native decoder turns
    /// a frame header with no scan into a flat grey picture without complaint; that is not an image.
    /// </summary>
    public static bool JpegHasScan(ReadOnlySpan<byte> data)
    {
        var i = 2;
        while (i + 4 <= data.Length && data[i] == 0xFF)
        {
            var marker = data[i + 1];
            if (marker == 0xDA)
            {
                return true;
            }
            if (marker is 0xFF or 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7))
            {
                i += marker == 0xFF ? 1 : 2;
                continue;
            }
            if (marker == 0xD9)
            {
                return false;
            }
            i += 2 + BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
        }
        return false;
    }

    private static ImageInfo? ReadJpeg(ReadOnlySpan<byte> data)
    {
        var i = 2;
        while (i + 4 <= data.Length)
        {
            if (data[i] != 0xFF)
            {
                return null;
            }
            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }
            if (marker is 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7))
            {
                i += 2;
                continue;
            }
            if (marker is 0xD9 or 0xDA)
            {
                // End of image or start of scan before any frame header: no size to read.
                return null;
            }
            var segmentLength = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            if (segmentLength < 2)
            {
                return null;
            }
            // SOF0-SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (i + 9 > data.Length)
                {
                    return null;
                }
                int height = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]);
                int width = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 7)..]);
                var components = i + 9 < data.Length ? data[i + 9] : 3;
                return width == 0 || height == 0 ? null : new ImageInfo(ImageFormat.Jpeg, width, height, Colour: components != 1);
            }
            i += 2 + segmentLength;
        }
        return null;
    }
}
