using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Platform.Data.Artifacts.Encryption;

/// <summary>
/// The at-rest format of one artifact: a header, then the content in chunks of 64 KiB, each sealed with
/// AES-256-GCM, so a file of any size is encrypted and decrypted with two chunk buffers in memory.
/// <code>
/// header (28 bytes): "PAE1" | key version (int32 BE) | salt (16 random bytes) | chunk size (int32 BE)
/// chunk i:           ciphertext (chunk size bytes, fewer for the last) | tag (16 bytes)
/// </code>
/// Each file gets its own key, HKDF-SHA256(tenant data key, salt), so chunk nonces can be a plain counter:
/// nonce = chunk index (8 bytes BE) | last-chunk flag (1 byte) | 3 zero bytes. The flag stops a file from
/// being cut at a chunk boundary; the header and the tenant id are every chunk's associated data, so a file
/// copied into another tenant's store fails to decrypt even before its data key differs.
/// </summary>
internal static class ArtifactCipher
{
    public const int ChunkSize = 64 * 1024;
    public const int TagSize = 16;
    public const int HeaderSize = 28;
    private const int SaltSize = 16;
    private static ReadOnlySpan<byte> Magic => "PAE1"u8;
    private static ReadOnlySpan<byte> KeyInfo => "platform artifact file key v1"u8;

    /// <summary>True when the bytes start like an encrypted artifact.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> start) => start.Length >= Magic.Length && start[..Magic.Length].SequenceEqual(Magic);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="output"/>; returns the SHA-256 (lower-case hex)
    /// and length of the plaintext, computed on the way through.
    /// </summary>
    public static async Task<StoredArtifact> EncryptAsync(Stream plaintext, Stream output, TenantDataKey key, Guid tenantId,
        CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), key.Version);
        RandomNumberGenerator.Fill(header.AsSpan(8, SaltSize));
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(24), ChunkSize);
        await output.WriteAsync(header, cancellationToken);

        using var gcm = new AesGcm(FileKey(key, header.AsSpan(8, SaltSize)), TagSize);
        var aad = AssociatedData(header, tenantId);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var current = new byte[ChunkSize];
        var next = new byte[ChunkSize];
        var sealedChunk = new byte[ChunkSize + TagSize];
        var nonce = new byte[12];
        long length = 0;
        long index = 0;
        var currentLength = await FillAsync(plaintext, current, cancellationToken);
        while (true)
        {
            // Reading ahead is how the writer knows which chunk is the last one.
            var nextLength = currentLength == ChunkSize ? await FillAsync(plaintext, next, cancellationToken) : 0;
            var last = nextLength == 0;
            sha.AppendData(current, 0, currentLength);
            length += currentLength;
            Nonce(nonce, index, last);
            gcm.Encrypt(nonce, current.AsSpan(0, currentLength), sealedChunk.AsSpan(0, currentLength),
                sealedChunk.AsSpan(currentLength, TagSize), aad);
            await output.WriteAsync(sealedChunk.AsMemory(0, currentLength + TagSize), cancellationToken);
            if (last)
                break;
            (current, next) = (next, current);
            currentLength = nextLength;
            index++;
        }
        CryptographicOperations.ZeroMemory(current);
        CryptographicOperations.ZeroMemory(next);
        return new StoredArtifact(Convert.ToHexStringLower(sha.GetHashAndReset()), length);
    }

    /// <summary>Reads and checks the header; returns the data key version it names.</summary>
    public static int ReadKeyVersion(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderSize || !HasMagic(header))
            throw new InvalidDataException("The artifact does not start with an encryption header.");
        if (BinaryPrimitives.ReadInt32BigEndian(header[24..]) != ChunkSize)
            throw new InvalidDataException("The artifact was encrypted with an unknown chunk size.");
        return BinaryPrimitives.ReadInt32BigEndian(header[4..]);
    }

    internal static byte[] FileKey(TenantDataKey key, ReadOnlySpan<byte> salt) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key.Key, 32, salt.ToArray(), KeyInfo.ToArray());

    internal static ReadOnlySpan<byte> Salt(ReadOnlySpan<byte> header) => header.Slice(8, SaltSize);

    internal static byte[] AssociatedData(ReadOnlySpan<byte> header, Guid tenantId)
    {
        var aad = new byte[HeaderSize + 16];
        header[..HeaderSize].CopyTo(aad);
        tenantId.TryWriteBytes(aad.AsSpan(HeaderSize), bigEndian: true, out _);
        return aad;
    }

    internal static void Nonce(Span<byte> nonce, long index, bool last)
    {
        nonce.Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce, index);
        nonce[8] = last ? (byte)1 : (byte)0;
    }

    /// <summary>Reads until the buffer is full or the stream ends; returns the bytes read.</summary>
    internal static async Task<int> FillAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
                break;
            total += read;
        }
        return total;
    }

    internal static int Fill(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = stream.Read(buffer[total..]);
            if (read == 0)
                break;
            total += read;
        }
        return total;
    }
}
