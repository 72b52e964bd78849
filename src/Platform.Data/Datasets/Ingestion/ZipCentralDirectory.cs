using System.Buffers.Binary;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// Counts an archive's entries from its end-of-central-directory record and its central directory
/// headers without keeping any of them, so the entry limit is applied before <see cref="System.IO.Compression.ZipArchive"/>
/// loads the whole directory into memory (3 million listed entries would cost over a gigabyte first).
/// Only what ZipArchive would read is counted: a directory that stops early or is not there at all is
/// left to ZipArchive to refuse as corrupt.
/// </summary>
internal static class ZipCentralDirectory
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint HeaderSignature = 0x02014b50;
    private const int EndLength = 22;
    private const int HeaderLength = 46;
    private const int MaxCommentLength = ushort.MaxValue;

    /// <summary>Throws <see cref="UnsafeZipException"/> as soon as the archive declares or lists more than <paramref name="maxEntries"/> entries.</summary>
    public static void CheckEntryCount(Stream zip, int maxEntries)
    {
        if (!zip.CanSeek)
        {
            return;
        }
        try
        {
            Count(zip, maxEntries);
        }
        finally
        {
            zip.Position = 0;
        }
    }

    private static void Count(Stream zip, int maxEntries)
    {
        if (FindDirectory(zip) is not { } found)
        {
            return;
        }
        var (declared, offset) = found;
        if (declared > (ulong)maxEntries)
        {
            throw TooMany($"{declared:N0}", maxEntries);
        }
        // The declared count can lie; ZipArchive reads headers until they stop, so count those, never more than the limit + 1.
        if (offset > (ulong)zip.Length)
        {
            return;
        }
        Span<byte> header = stackalloc byte[HeaderLength];
        var position = (long)offset;
        var listed = 0;
        while (position + HeaderLength <= zip.Length)
        {
            zip.Position = position;
            zip.ReadExactly(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != HeaderSignature)
            {
                break;
            }
            if (++listed > maxEntries)
            {
                throw TooMany($"more than {maxEntries:N0}", maxEntries);
            }
            position += HeaderLength
                + BinaryPrimitives.ReadUInt16LittleEndian(header[28..])
                + BinaryPrimitives.ReadUInt16LittleEndian(header[30..])
                + BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
        }
    }

    private static UnsafeZipException TooMany(string count, int maxEntries) =>
        new($"The archive has {count} entries; at most {maxEntries:N0} are allowed.");

    /// <summary>The declared entry count and the directory's offset, or null when the end record is missing.</summary>
    private static (ulong Entries, ulong Offset)? FindDirectory(Stream zip)
    {
        var tailLength = (int)Math.Min(zip.Length, EndLength + MaxCommentLength);
        if (tailLength < EndLength)
        {
            return null;
        }
        var tailStart = zip.Length - tailLength;
        var tail = new byte[tailLength];
        zip.Position = tailStart;
        zip.ReadExactly(tail);
        for (var i = tailLength - EndLength; i >= 0; i--)
        {
            var end = tail.AsSpan(i);
            if (BinaryPrimitives.ReadUInt32LittleEndian(end) != EndSignature)
            {
                continue;
            }
            ulong entries = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
            ulong offset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
            // ZIP64: the 16- and 32-bit fields are saturated and the real values sit in the ZIP64 end record.
            if ((entries == ushort.MaxValue || offset == uint.MaxValue) && Zip64(zip, tailStart + i) is { } zip64)
            {
                (entries, offset) = zip64;
            }
            return (entries, offset);
        }
        return null;
    }

    private static (ulong Entries, ulong Offset)? Zip64(Stream zip, long endPosition)
    {
        const int LocatorLength = 20;
        const int Zip64EndLength = 56;
        if (endPosition < LocatorLength)
        {
            return null;
        }
        Span<byte> locator = stackalloc byte[LocatorLength];
        zip.Position = endPosition - LocatorLength;
        zip.ReadExactly(locator);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature)
        {
            return null;
        }
        var recordPosition = BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]);
        if (recordPosition > (ulong)(zip.Length - Zip64EndLength))
        {
            return null;
        }
        Span<byte> record = stackalloc byte[Zip64EndLength];
        zip.Position = (long)recordPosition;
        zip.ReadExactly(record);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
        {
            return null;
        }
        return (BinaryPrimitives.ReadUInt64LittleEndian(record[32..]), BinaryPrimitives.ReadUInt64LittleEndian(record[48..]));
    }
}
