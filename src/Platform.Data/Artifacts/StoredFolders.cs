using System.Runtime.CompilerServices;
using Npgsql;

namespace Platform.Data.Artifacts;

/// <summary>A file of a stored folder: its path inside the folder ('/'-separated) and the artifact holding its bytes.</summary>
public sealed record StoredFile(string Path, string Hash, long Length);

/// <summary>
/// Named folders of files kept in the artifact store: checkpoints, trained models, private base models.
/// Each file is an artifact (<see cref="IArtifactStore"/>: encrypted with the tenant's data key, on disk or
/// in S3), so no host needs a shared file system; the folder is its listing in stored_folder_files
/// (relative path to content hash), written in one transaction, so a reader finds the whole folder or none.
/// Folder names are '/'-separated paths such as jobs/{job}/runs/{token}/model.
/// Content addressing shares bytes between folders (a checkpoint's vocabulary is the model's) and with
/// datasets, so a file's bytes are deleted only when no folder and no dataset names its hash. Writers and
/// deleters of one tenant take the same lock, and a writer re-checks its files after listing them, so a
/// concurrent delete never leaves a listed file without its bytes.
/// </summary>
public sealed class StoredFolders(NpgsqlDataSource dataSource, IArtifactStore store)
{
    private const int BufferSize = 81920;

    /// <summary>
    /// Stores every file under <paramref name="localDirectory"/> (sub-folders included) as <paramref name="folder"/>,
    /// replacing what the folder held. Returns the files stored.
    /// </summary>
    public async Task<IReadOnlyList<StoredFile>> PutAsync(Guid tenantId, string folder, string localDirectory,
        CancellationToken cancellationToken = default)
    {
        RequireName(folder, nameof(folder));
        if (!Directory.Exists(localDirectory))
            throw new DirectoryNotFoundException($"Folder {localDirectory} does not exist.");
        var files = Directory.EnumerateFiles(localDirectory, "*", SearchOption.AllDirectories)
            .Select(path => (Path.GetRelativePath(localDirectory, path).Replace(Path.DirectorySeparatorChar, '/'), path));
        return await PutAsync(tenantId, folder, files, cancellationToken);
    }

    /// <summary>
    /// Stores the local files <paramref name="files"/> (path in the folder, local source) as <paramref name="folder"/>,
    /// replacing what the folder held: for a folder that is a choice of the files of a local directory.
    /// </summary>
    public async Task<IReadOnlyList<StoredFile>> PutAsync(Guid tenantId, string folder, IEnumerable<(string Path, string Source)> files,
        CancellationToken cancellationToken = default)
    {
        RequireName(folder, nameof(folder));
        var stored = new List<(StoredFile File, string Source)>();
        foreach (var (relative, source) in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            RequireName(relative, nameof(files));
            stored.Add((await PutFileAsync(tenantId, relative, source, cancellationToken), source));
        }
        await WriteListingAsync(tenantId, folder, stored, replace: true, cancellationToken);
        return [.. stored.Select(f => f.File)];
    }

    /// <summary>
    /// Adds (or replaces) one file of an existing or new folder, leaving its other files: for what is made
    /// after a model, such as an ONNX export written next to it.
    /// </summary>
    public async Task<StoredFile> PutFileAsync(Guid tenantId, string folder, string path, Stream content,
        CancellationToken cancellationToken = default)
    {
        RequireName(folder, nameof(folder));
        RequireName(path, nameof(path));
        // Spooled to a local file: if a concurrent delete frees the bytes, they are stored again from it.
        var scratch = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"platform-folder-{Guid.NewGuid():N}");
        try
        {
            await using (var file = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
                await content.CopyToAsync(file, cancellationToken);
            var stored = await PutFileAsync(tenantId, path, scratch, cancellationToken);
            await WriteListingAsync(tenantId, folder, [(stored, scratch)], replace: false, cancellationToken);
            return stored;
        }
        finally
        {
            File.Delete(scratch);
        }
    }

    /// <summary>The folder's files in path order; empty when there is no such folder.</summary>
    public async Task<IReadOnlyList<StoredFile>> ListAsync(Guid tenantId, string folder, CancellationToken cancellationToken = default)
    {
        RequireName(folder, nameof(folder));
        await using var command = dataSource.CreateCommand(
            "SELECT path, hash, length FROM stored_folder_files WHERE tenant_id = $1 AND folder = $2 ORDER BY path");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = folder });
        var files = new List<StoredFile>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            files.Add(new StoredFile(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return files;
    }

    public async Task<bool> ExistsAsync(Guid tenantId, string folder, CancellationToken cancellationToken = default) =>
        (await ListAsync(tenantId, folder, cancellationToken)).Count > 0;

    /// <summary>The names of the tenant's folders that start with <paramref name="prefix"/>.</summary>
    public async IAsyncEnumerable<string> FoldersAsync(Guid tenantId, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT DISTINCT folder FROM stored_folder_files WHERE tenant_id = $1 AND starts_with(folder, $2) ORDER BY folder");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return reader.GetString(0);
    }

    /// <summary>Opens one file of the folder, decrypting as it is read. Throws <see cref="FileNotFoundException"/> when absent.</summary>
    public async Task<Stream> OpenReadAsync(Guid tenantId, string folder, string path, CancellationToken cancellationToken = default)
    {
        var file = (await ListAsync(tenantId, folder, cancellationToken)).FirstOrDefault(f => f.Path == path)
            ?? throw new FileNotFoundException($"{folder} has no file {path}.", path);
        return await store.OpenReadAsync(tenantId, file.Hash, cancellationToken);
    }

    /// <summary>
    /// Writes the folder's files (or only those under its sub-folder <paramref name="subFolder"/>) under
    /// <paramref name="localDirectory"/>, which appears complete or not at all (a directory already there is
    /// replaced). False when there is no such folder.
    /// </summary>
    public async Task<bool> DownloadAsync(Guid tenantId, string folder, string localDirectory, string? subFolder = null,
        CancellationToken cancellationToken = default)
    {
        var files = await ListAsync(tenantId, folder, cancellationToken);
        if (subFolder is not null)
            files = [.. files.Where(f => f.Path.StartsWith(subFolder + "/", StringComparison.Ordinal)).Select(f => f with { Path = f.Path[(subFolder.Length + 1)..] })];
        if (files.Count == 0)
            return false;
        await DownloadAsync(tenantId, folder, files, localDirectory, cancellationToken);
        return true;
    }

    /// <summary>
    /// Writes <paramref name="files"/> (a listing of <paramref name="folder"/> read before) under
    /// <paramref name="localDirectory"/>, which appears complete or not at all (a directory already there is replaced).
    /// </summary>
    public async Task DownloadAsync(Guid tenantId, string folder, IReadOnlyList<StoredFile> files, string localDirectory,
        CancellationToken cancellationToken = default)
    {
        var target = System.IO.Path.GetFullPath(localDirectory);
        var partial = target + $".{Guid.NewGuid():N}.partial";
        try
        {
            foreach (var file in files)
            {
                var destination = System.IO.Path.GetFullPath(System.IO.Path.Combine(partial, file.Path));
                if (!destination.StartsWith(partial + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new InvalidDataException($"{folder}: the file name {file.Path} leaves its folder.");
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
                await using var source = await store.OpenReadAsync(tenantId, file.Hash, cancellationToken);
                await using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
                await source.CopyToAsync(output, cancellationToken);
            }
            Directory.CreateDirectory(partial);
            if (Directory.Exists(target))
                Directory.Delete(target, recursive: true);
            Directory.Move(partial, target);
        }
        finally
        {
            if (Directory.Exists(partial))
                Directory.Delete(partial, recursive: true);
        }
    }

    /// <summary>Deletes folders and the bytes of their files that nothing else names. Returns the folders that existed.</summary>
    public async Task<int> DeleteAsync(Guid tenantId, IEnumerable<string> folders, CancellationToken cancellationToken = default)
    {
        var names = folders.Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length == 0)
            return 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, tenantId, cancellationToken);
        var freed = new HashSet<string>(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        await using (var delete = new NpgsqlCommand(
            "DELETE FROM stored_folder_files WHERE tenant_id = $1 AND folder = ANY($2) RETURNING folder, hash", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            delete.Parameters.Add(new NpgsqlParameter { Value = names });
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                deleted.Add(reader.GetString(0));
                freed.Add(reader.GetString(1));
            }
        }
        await DeleteUnreferencedAsync(connection, transaction, tenantId, freed, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted.Count;
    }

    public Task<int> DeleteAsync(Guid tenantId, string folder, CancellationToken cancellationToken = default) =>
        DeleteAsync(tenantId, [folder], cancellationToken);

    private async Task<StoredFile> PutFileAsync(Guid tenantId, string relative, string source, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        var stored = await store.PutAsync(tenantId, input, cancellationToken);
        return new StoredFile(relative, stored.Hash, stored.Length);
    }

    private async Task WriteListingAsync(Guid tenantId, string folder, IReadOnlyList<(StoredFile File, string Source)> files, bool replace,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, tenantId, cancellationToken);
        var previous = new HashSet<string>(StringComparer.Ordinal);
        var paths = files.Select(f => f.File.Path).ToArray();
        await using (var delete = new NpgsqlCommand(replace
                ? "DELETE FROM stored_folder_files WHERE tenant_id = $1 AND folder = $2 RETURNING hash"
                : "DELETE FROM stored_folder_files WHERE tenant_id = $1 AND folder = $2 AND path = ANY($3) RETURNING hash",
                connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            delete.Parameters.Add(new NpgsqlParameter { Value = folder });
            if (!replace)
                delete.Parameters.Add(new NpgsqlParameter { Value = paths });
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                previous.Add(reader.GetString(0));
        }
        foreach (var (file, source) in files)
        {
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO stored_folder_files (tenant_id, folder, path, hash, length) VALUES ($1, $2, $3, $4, $5)", connection, transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                insert.Parameters.Add(new NpgsqlParameter { Value = folder });
                insert.Parameters.Add(new NpgsqlParameter { Value = file.Path });
                insert.Parameters.Add(new NpgsqlParameter { Value = file.Hash });
                insert.Parameters.Add(new NpgsqlParameter { Value = file.Length });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            // A delete that ran between storing the bytes and this listing may have freed them (same
            // content, other folder): under the lock, store them again.
            if (!await store.ExistsAsync(tenantId, file.Hash, cancellationToken))
                await PutFileAsync(tenantId, file.Path, source, cancellationToken);
        }
        previous.ExceptWith(files.Select(f => f.File.Hash));
        await DeleteUnreferencedAsync(connection, transaction, tenantId, previous, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task DeleteUnreferencedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        IEnumerable<string> hashes, CancellationToken cancellationToken)
    {
        foreach (var hash in hashes)
        {
            await using var referenced = new NpgsqlCommand("""
                SELECT EXISTS (SELECT 1 FROM stored_folder_files WHERE tenant_id = $1 AND hash = $2)
                    OR EXISTS (SELECT 1 FROM dataset_files WHERE tenant_id = $1 AND hash = $2)
                """, connection, transaction);
            referenced.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            referenced.Parameters.Add(new NpgsqlParameter { Value = hash });
            if (await referenced.ExecuteScalarAsync(cancellationToken) is not true)
                await store.DeleteAsync(tenantId, hash, cancellationToken);
        }
    }

    /// <summary>One tenant's folder writes and deletes take turns (transaction-scoped advisory lock).</summary>
    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('stored-folders:' || $1::text, 0))", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Folder names and file paths: '/'-separated, relative, without empty, "." or ".." segments.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 1000 && !name.Contains('\\') && !name.Contains('\0')
        && name.Split('/').All(segment => segment is { Length: > 0 } and not "." and not "..");

    private static void RequireName(string name, string parameter)
    {
        if (!IsValidName(name))
            throw new ArgumentException($"'{name}' is not a stored folder or file name ('/'-separated, relative, no '..').", parameter);
    }
}
