using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Platform.Data.Artifacts;

/// <summary>
/// Files under {Root}/tenants/{tenant}/{hash[0..2]}/{hash}. Writes go to a temp file in the tenant's
/// directory while hashing, then move into place with a rename on the same file system, so a reader
/// never sees a partial file and a crash leaves at most a stray temp file.
/// </summary>
internal sealed class LocalArtifactStore(IOptions<StorageOptions> options) : IArtifactStore
{
    private const int BufferSize = 81920;

    private string Root => Path.GetFullPath(options.Value.Root!);

    internal string TenantDirectory(Guid tenantId) => Path.Combine(Root, "tenants", tenantId.ToString("N"));

    internal string PathOf(Guid tenantId, string hash) =>
        Path.Combine(TenantDirectory(tenantId), hash[..2], ArtifactHash.Require(hash));

    public async Task<StoredArtifact> PutAsync(Guid tenantId, Stream content, CancellationToken cancellationToken = default)
    {
        var tempDirectory = Path.Combine(TenantDirectory(tenantId), ".tmp");
        Directory.CreateDirectory(tempDirectory);
        var temp = Path.Combine(tempDirectory, Guid.NewGuid().ToString("N"));
        try
        {
            string hash;
            long length;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                await file.FlushAsync(cancellationToken);
                length = file.Length;
                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            }
            var final = PathOf(tenantId, hash);
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            if (!File.Exists(final))
            {
                try
                {
                    File.Move(temp, final, overwrite: false);
                }
                catch (IOException) when (File.Exists(final))
                {
                    // A concurrent writer stored the same bytes first; its file is identical.
                }
            }
            return new StoredArtifact(hash, length);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public Task<Stream> OpenReadAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default)
    {
        var path = PathOf(tenantId, hash);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Artifact {hash} does not exist for this tenant.", hash);
        }
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, useAsync: true));
    }

    public Task<bool> ExistsAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(PathOf(tenantId, hash)));

    public Task<bool> DeleteAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default)
    {
        var path = PathOf(tenantId, hash);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }
        File.Delete(path);
        return Task.FromResult(true);
    }
}
