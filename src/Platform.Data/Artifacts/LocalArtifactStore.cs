using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts.Encryption;

namespace Platform.Data.Artifacts;

/// <summary>
/// Files under {Root}/tenants/{tenant}/{hash[0..2]}/{hash}, each encrypted with the tenant's data key
/// (<see cref="ArtifactCipher"/>). Writes go to a temp file in the tenant's directory while hashing and
/// encrypting, then move into place with a rename on the same file system, so a reader never sees a
/// partial file and a crash leaves at most a stray temp file.
/// </summary>
internal sealed class LocalArtifactStore(IOptions<StorageOptions> options, TenantKeyRing keys) : IArtifactStore
{
    private const int BufferSize = 81920;

    private string Root => Path.GetFullPath(options.Value.Root!);

    internal string TenantDirectory(Guid tenantId) => Path.Combine(Root, "tenants", tenantId.ToString("N"));

    internal string PathOf(Guid tenantId, string hash) =>
        Path.Combine(TenantDirectory(tenantId), hash[..2], ArtifactHash.Require(hash));

    public async Task<StoredArtifact> PutAsync(Guid tenantId, Stream content, CancellationToken cancellationToken = default)
    {
        var key = await keys.GetCurrentAsync(tenantId, cancellationToken);
        var temp = TempPath(tenantId);
        try
        {
            StoredArtifact stored;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                stored = await ArtifactCipher.EncryptAsync(content, file, key, tenantId, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }
            var final = PathOf(tenantId, stored.Hash);
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            if (!File.Exists(final))
            {
                try
                {
                    File.Move(temp, final, overwrite: false);
                }
                catch (IOException) when (File.Exists(final))
                {
                    // A concurrent writer stored the same bytes first; its file holds the same content.
                }
            }
            return stored;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async Task<Stream> OpenReadAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default)
    {
        var path = PathOf(tenantId, hash);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Artifact {hash} does not exist for this tenant.", hash);
        }
        try
        {
            return await ArtifactReader.OpenAsync(file, keys, tenantId, hash, cancellationToken);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
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

    public Task<int> DeleteTenantAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var directory = TenantDirectory(tenantId);
        if (!Directory.Exists(directory))
            return Task.FromResult(0);
        var count = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Count();
        Directory.Delete(directory, recursive: true);
        return Task.FromResult(count);
    }

    public async IAsyncEnumerable<string> ListAsync(Guid tenantId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var directory = TenantDirectory(tenantId);
        if (!Directory.Exists(directory))
            yield break;
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileName(file);
            if (ArtifactHash.IsValid(name))
                yield return name;
        }
        await Task.CompletedTask;
    }

    /// <summary>
    /// Encrypts the files an install from before encryption stored in the clear. A file is plaintext when
    /// its SHA-256 is its name (an encrypted file never hashes to its name); each is rewritten encrypted
    /// through a temp file and a rename, so a reader that opened the old file reads it to the end.
    /// Idempotent; returns the files encrypted.
    /// </summary>
    public async Task<int> EncryptLegacyFilesAsync(CancellationToken cancellationToken = default)
    {
        var tenants = Path.Combine(Root, "tenants");
        if (!Directory.Exists(tenants))
            return 0;
        var encrypted = 0;
        foreach (var tenantDirectory in Directory.EnumerateDirectories(tenants))
        {
            if (!Guid.TryParseExact(Path.GetFileName(tenantDirectory), "N", out var tenantId))
                continue;
            foreach (var path in Directory.EnumerateFiles(tenantDirectory, "*", SearchOption.AllDirectories))
            {
                var hash = Path.GetFileName(path);
                if (!ArtifactHash.IsValid(hash) || !await IsPlaintextAsync(path, hash, cancellationToken))
                    continue;
                var key = await keys.GetCurrentAsync(tenantId, cancellationToken);
                var temp = TempPath(tenantId);
                try
                {
                    await using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, useAsync: true))
                    await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
                    {
                        var stored = await ArtifactCipher.EncryptAsync(source, target, key, tenantId, cancellationToken);
                        if (stored.Hash != hash)
                            continue; // changed under us: leave it for the next pass
                        await target.FlushAsync(cancellationToken);
                    }
                    File.Move(temp, path, overwrite: true);
                    encrypted++;
                }
                finally
                {
                    File.Delete(temp);
                }
            }
        }
        return encrypted;
    }

    private static async Task<bool> IsPlaintextAsync(string path, string hash, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken)) == hash;
    }

    private string TempPath(Guid tenantId)
    {
        var tempDirectory = Path.Combine(TenantDirectory(tenantId), ".tmp");
        Directory.CreateDirectory(tempDirectory);
        return Path.Combine(tempDirectory, Guid.NewGuid().ToString("N"));
    }
}
