namespace Platform.Data.Artifacts.Encryption;

/// <summary>Turns a stored file's bytes back into its content, whichever store holds them.</summary>
internal static class ArtifactReader
{
    /// <summary>
    /// Reads the header and returns the decrypting stream over <paramref name="raw"/> (which it then owns).
    /// A file without the header is plaintext from before encryption: it is returned as is, checked against its hash.
    /// </summary>
    public static async Task<Stream> OpenAsync(Stream raw, TenantKeyRing keys, Guid tenantId, string hash, CancellationToken cancellationToken)
    {
        var header = new byte[ArtifactCipher.HeaderSize];
        var read = await ArtifactCipher.FillAsync(raw, header, cancellationToken);
        if (read < ArtifactCipher.HeaderSize || !ArtifactCipher.HasMagic(header))
            return new HashCheckingStream(raw, header.AsMemory(0, read), hash);
        var key = await keys.GetAsync(tenantId, ArtifactCipher.ReadKeyVersion(header), cancellationToken);
        return new DecryptingStream(raw, header, key, tenantId, hash);
    }
}
