using System.Security.Cryptography;
using Platform.Data.Artifacts;

namespace Platform.Data.Datasets;

/// <summary>
/// The artifacts one upload writes. It remembers which files did not exist before, so a failed
/// upload can remove exactly what it added and leave files other datasets share alone.
/// </summary>
internal sealed class ArtifactBatch(IArtifactStore store, Guid tenantId, int blockBytes = 1)
{
    private readonly List<string> _added = [];
    private readonly HashSet<string> _all = [];
    private readonly Dictionary<string, long> _storedBytes = [];

    public Guid TenantId => tenantId;

    /// <summary>Every file this upload's dataset will reference.</summary>
    public IReadOnlyCollection<string> All => _all;

    /// <summary>Files that did not exist before this upload.</summary>
    public IReadOnlyList<string> Added => _added;

    /// <summary>What a file of this upload takes on disk: its stored length in whole blocks (at least one).</summary>
    public long StoredBytes(string hash) => _storedBytes[hash];

    /// <summary>What the files that did not exist before take on disk.</summary>
    public long AddedStoredBytes => _added.Sum(h => _storedBytes[h]);

    /// <summary>Stores a seekable stream from its start; returns the content hash.</summary>
    public async Task<string> PutAsync(Stream content, CancellationToken cancellationToken)
    {
        content.Position = 0;
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken));
        content.Position = 0;
        if (_all.Contains(hash))
        {
            return hash;
        }
        var existed = await store.ExistsAsync(tenantId, hash, cancellationToken);
        var stored = await store.PutAsync(tenantId, content, cancellationToken);
        if (stored.Hash != hash)
        {
            throw new IOException($"The content changed while it was stored (expected {hash}, stored {stored.Hash}).");
        }
        if (!existed)
        {
            _added.Add(hash);
        }
        _all.Add(hash);
        _storedBytes[hash] = Math.Max(1, (stored.Length + blockBytes - 1) / blockBytes) * blockBytes;
        return hash;
    }
}
