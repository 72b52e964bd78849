namespace Platform.Data.Artifacts.Encryption;

/// <summary>A data key sealed by a master key, and which master key sealed it.</summary>
public sealed record WrappedKey(string MasterKeyId, byte[] Bytes);

/// <summary>
/// Wraps and unwraps tenant data keys. <see cref="ConfiguredMasterKeys"/> holds the key material from
/// configuration; a KMS implementation (AWS KMS Encrypt/Decrypt with the context as encryption context,
/// or a Vault transit key) registers itself as this interface before AddPlatformData, and the master key
/// never enters the process. <paramref name="context"/> names the tenant and key version: a wrapped key
/// moved to another row does not unwrap.
/// </summary>
public interface IMasterKey
{
    /// <summary>The master key new data keys, and rotated ones, are wrapped with.</summary>
    string CurrentKeyId { get; }

    Task<WrappedKey> WrapAsync(byte[] dataKey, byte[] context, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the key when <paramref name="masterKeyId"/> is not available.</summary>
    Task<byte[]> UnwrapAsync(WrappedKey wrapped, byte[] context, CancellationToken cancellationToken);
}
