using System.IO.Compression;
using System.Text;

namespace Platform.Web.Tests.Datasets;

/// <summary>Upload files built in memory: good ones, and every kind of bad one the portal must refuse.</summary>
internal static class TestFiles
{
    public static byte[] Csv(string text) => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);

    /// <summary>Three classes of distinct rows: 6 spam, 4 ham, 3 other.</summary>
    public static byte[] GoodCsv()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 6; i++)
        {
            csv.Append($"\"WIN a prize #{i}, click now\",spam\n");
        }
        for (var i = 0; i < 4; i++)
        {
            csv.Append($"\"Meeting moved to {i} pm, see \"\"agenda\"\"\",ham\n");
        }
        for (var i = 0; i < 3; i++)
        {
            csv.Append($"Line one {i}\nwith a quoted newline,other\n".Replace("Line one", "\"Line one").Replace("newline,", "newline\","));
        }
        return Csv(csv.ToString());
    }

    public static byte[] Zip(params (string Name, byte[] Content)[] entries) => Zip(entries.Select(e => (e.Name, e.Content, (int?)null)).ToArray());

    public static byte[] Zip((string Name, byte[] Content, int? UnixMode)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content, unixMode) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.SmallestSize);
                if (unixMode is { } mode)
                {
                    entry.ExternalAttributes = mode << 16;
                }
                using var stream = entry.Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A valid ZIP of images: <paramref name="perClass"/> distinct PNGs in each of two label folders.</summary>
    public static byte[] GoodImageZip(int perClass = 3)
    {
        var entries = new List<(string, byte[])>();
        for (var i = 0; i < perClass; i++)
        {
            entries.Add(($"cats/cat{i}.png", Png(8, 8, (byte)(10 + i))));
            entries.Add(($"dogs/dog{i}.png", Png(8, 8, (byte)(200 - i))));
        }
        return Zip(entries.ToArray());
    }

    /// <summary>A real grey-scale PNG (signature, IHDR, zlib IDAT, IEND with CRCs) filled with one value.</summary>
    public static byte[] Png(int width, int height, byte grey)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        WriteBigEndian(header, 0, width);
        WriteBigEndian(header, 4, height);
        header[8] = 8; // bit depth
        header[9] = 0; // grey-scale
        Chunk(png, "IHDR", header);
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (var x = 0; x < width; x++)
            {
                raw.WriteByte((byte)(grey + x + y));
            }
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(raw.ToArray());
        }
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        WriteBigEndian(length, 0, data.Length);
        png.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        var crc = new byte[4];
        WriteBigEndian(crc, 0, (int)Crc32(typeAndData));
        png.Write(crc);
    }

    // PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320); System.IO.Hashing is not in the shared framework.
    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }

    private static void WriteBigEndian(byte[] buffer, int offset, int value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }
}
