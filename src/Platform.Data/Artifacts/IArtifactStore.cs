namespace Platform.Data.Artifacts;

/// <summary>
/// Content-addressed file storage, partitioned by tenant: a file's key is the lower-case hex SHA-256
/// of its bytes, so writing the same content twice stores it once. Every implementation stores the
/// bytes encrypted with the tenant's data key (Encryption/ArtifactCipher) and hands them back decrypted.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Stores the stream's bytes and returns their hash; the file appears whole or not at all.</summary>
    Task<StoredArtifact> PutAsync(Guid tenantId, Stream content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a stored file for reading, forward only (not seekable): it decrypts as it goes, and the last read
    /// throws <see cref="InvalidDataException"/> if the content is not what its hash says. Throws
    /// <see cref="FileNotFoundException"/> when absent.
    /// </summary>
    Task<Stream> OpenReadAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stored file; returns false when there was none.</summary>
    Task<bool> DeleteAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default);

    /// <summary>The keys of every file the tenant has stored.</summary>
    IAsyncEnumerable<string> ListAsync(Guid tenantId, CancellationToken cancellationToken = default);

    /// <summary>Deletes every file of the tenant (erasure); returns how many there were.</summary>
    Task<int> DeleteTenantAsync(Guid tenantId, CancellationToken cancellationToken = default);
}

public sealed record StoredArtifact(string Hash, long Length);
