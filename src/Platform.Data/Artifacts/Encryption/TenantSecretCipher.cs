using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Data.Artifacts.Encryption;

/// <summary>
/// Seals a small secret a tenant's row must keep (a webhook's signing secret) with the tenant's data key,
/// the key its files are encrypted with, so the same master key protects both, rotation works the same,
/// and erasing the tenant's keys makes its secrets unreadable in every backup at once.
/// <code>
/// "PSE1" | key version (int32 BE) | nonce (12 random bytes) | ciphertext | tag (16 bytes)
/// </code>
/// The associated data is the first 8 bytes, the tenant id and a <c>purpose</c> naming the row (say
/// <c>webhook-secret:{id}</c>), so a sealed value copied to another row or tenant does not open.
/// </summary>
public sealed class TenantSecretCipher(TenantKeyRing keys)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 8 + NonceSize;
    private static ReadOnlySpan<byte> Magic => "PSE1"u8;

    public async Task<byte[]> SealAsync(Guid tenantId, string purpose, string secret, CancellationToken cancellationToken)
    {
        var key = await keys.GetCurrentAsync(tenantId, cancellationToken);
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[HeaderSize + plain.Length + TagSize];
        Magic.CopyTo(sealedBytes);
        BinaryPrimitives.WriteInt32BigEndian(sealedBytes.AsSpan(4), key.Version);
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(8, NonceSize));
        using var gcm = new AesGcm(SecretKey(key), TagSize);
        gcm.Encrypt(sealedBytes.AsSpan(8, NonceSize), plain, sealedBytes.AsSpan(HeaderSize, plain.Length),
            sealedBytes.AsSpan(HeaderSize + plain.Length, TagSize), AssociatedData(sealedBytes, tenantId, purpose));
        CryptographicOperations.ZeroMemory(plain);
        return sealedBytes;
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> when the tenant has no such key (erased) and
    /// <see cref="CryptographicException"/> when the value was altered or belongs to another row.
    /// </summary>
    public async Task<string> OpenAsync(Guid tenantId, string purpose, byte[] sealedBytes, CancellationToken cancellationToken)
    {
        if (sealedBytes.Length < HeaderSize + TagSize || !sealedBytes.AsSpan(0, 4).SequenceEqual(Magic))
            throw new InvalidDataException("The value is not a sealed secret.");
        var key = await keys.GetAsync(tenantId, BinaryPrimitives.ReadInt32BigEndian(sealedBytes.AsSpan(4)), cancellationToken);
        var length = sealedBytes.Length - HeaderSize - TagSize;
        var plain = new byte[length];
        using var gcm = new AesGcm(SecretKey(key), TagSize);
        gcm.Decrypt(sealedBytes.AsSpan(8, NonceSize), sealedBytes.AsSpan(HeaderSize, length), sealedBytes.AsSpan(HeaderSize + length, TagSize), plain,
            AssociatedData(sealedBytes, tenantId, purpose));
        var secret = Encoding.UTF8.GetString(plain);
        CryptographicOperations.ZeroMemory(plain);
        return secret;
    }

    // Its own key derived from the data key, so a secret's nonces never share a key with the artifact chunks'.
    private static byte[] SecretKey(TenantDataKey key) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key.Key, 32, salt: [], info: "platform tenant secret v1"u8.ToArray());

    private static byte[] AssociatedData(ReadOnlySpan<byte> header, Guid tenantId, string purpose)
    {
        var purposeBytes = Encoding.UTF8.GetBytes(purpose);
        var aad = new byte[8 + 16 + purposeBytes.Length];
        header[..8].CopyTo(aad);
        tenantId.TryWriteBytes(aad.AsSpan(8, 16), bigEndian: true, out _);
        purposeBytes.CopyTo(aad, 24);
        return aad;
    }
}
