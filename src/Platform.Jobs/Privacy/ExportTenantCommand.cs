using System.IO.Compression;
using System.Text.Json;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Jobs.Training;

namespace Platform.Jobs.Privacy;

/// <summary>
/// An organisation's data as one ZIP: its datasets as uploaded after normalisation (CSV, or the images
/// in one folder per label, with the split), its jobs with their events, loss curves and metrics, the
/// trained model folders, its private base models, its usage, invoices and credit notes, members and
/// API keys (names only). The rows are exported as JSON, every column, exactly as stored.
/// The ZIP is built in a temp file deleted when the returned stream is closed.
/// </summary>
public sealed class ExportTenantCommand(NpgsqlDataSource dataSource, ICurrentTenant current, IArtifactStore store, StoredFolders storedFolders,
    TenantFolders folders)
{
    public async Task<Result<TenantExport>> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var access = await PrivacyAccess.RequireAsync(dataSource, current, tenantId, cancellationToken);
        if (!access.IsSuccess)
            return Result<TenantExport>.From(access);

        var path = Path.Combine(Path.GetTempPath(), $"platform-export-{Guid.NewGuid():N}.zip");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            string name;
            using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true))
                name = await WriteAsync(zip, tenantId, cancellationToken);
            file.Position = 0;
            return Result<TenantExport>.Success(new TenantExport(name, file));
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private async Task<string> WriteAsync(ZipArchive zip, Guid tenantId, CancellationToken cancellationToken)
    {
        var organisation = await RowsAsync("SELECT id, name, slug, status, created_at FROM tenants WHERE id = $1", tenantId, cancellationToken);
        var name = organisation.RootElement[0].GetProperty("name").GetString()!;
        await TextAsync(zip, "README.txt", Readme(name), cancellationToken);
        await JsonAsync(zip, "organisation.json", organisation, cancellationToken);
        await JsonAsync(zip, "members.json", await RowsAsync("""
            SELECT u.email, m.role, m.created_at AS joined_at FROM tenant_memberships m JOIN users u ON u.id = m.user_id
            WHERE m.tenant_id = $1 ORDER BY m.created_at
            """, tenantId, cancellationToken), cancellationToken);
        await JsonAsync(zip, "api-keys.json", await RowsAsync(
            "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY created_at",
            tenantId, cancellationToken), cancellationToken);

        using var datasets = await RowsAsync("SELECT * FROM datasets WHERE tenant_id = $1 ORDER BY name, version", tenantId, cancellationToken);
        await JsonAsync(zip, "datasets.json", datasets, cancellationToken);
        var datasetFolders = new ExportNames();
        foreach (var dataset in datasets.RootElement.EnumerateArray())
            await DatasetAsync(zip, tenantId, dataset, datasetFolders, cancellationToken);

        using var jobs = await RowsAsync("SELECT * FROM jobs WHERE tenant_id = $1 ORDER BY created_at", tenantId, cancellationToken);
        await JsonAsync(zip, "jobs.json", jobs, cancellationToken);
        await JsonAsync(zip, "job-events.json", await RowsAsync(
            "SELECT job_id, id, at, type, message, data FROM job_events WHERE tenant_id = $1 ORDER BY job_id, id", tenantId, cancellationToken), cancellationToken);
        await JsonAsync(zip, "job-loss-points.json", await RowsAsync(
            "SELECT * FROM job_loss_points WHERE tenant_id = $1 ORDER BY job_id, step", tenantId, cancellationToken), cancellationToken);
        foreach (var job in jobs.RootElement.EnumerateArray())
        {
            if (!job.TryGetProperty("result", out var json) || TrainingJobResult.Parse(json) is not { } result)
                continue;
            var prefix = $"models/{job.GetProperty("id").GetGuid():N}";
            if (result.ModelFolder is { } storedName && StoredFolders.IsValidName(storedName))
                await StoredFolderAsync(zip, prefix, tenantId, storedName, cancellationToken);
            // Models from before the store held them: a folder on disk, until the migration moved it.
            else if (result.ModelDirectory is { } folder && Directory.Exists(folder))
                await FolderAsync(zip, prefix, folder, cancellationToken);
        }

        using var baseModels = await RowsAsync("SELECT * FROM base_models WHERE tenant_id = $1 ORDER BY name", tenantId, cancellationToken);
        await JsonAsync(zip, "base-models.json", baseModels, cancellationToken);
        var baseModelFolders = new ExportNames();
        foreach (var model in baseModels.RootElement.EnumerateArray())
        {
            var prefix = $"base-models/{baseModelFolders.Add(model.GetProperty("name").GetString()!, model.GetProperty("id").GetGuid().ToString("N"))}";
            if (model.GetProperty("folder").GetString() is { } stored && StoredFolders.IsValidName(stored))
                await StoredFolderAsync(zip, prefix, tenantId, stored, cancellationToken);
            // A model of an earlier install, until the web host moved it into the store.
            else if (model.GetProperty("path").GetString() is { } folder && folders.InCatalog(folder) && Directory.Exists(folder))
                await FolderAsync(zip, prefix, folder, cancellationToken);
        }

        await JsonAsync(zip, "usage.json", await RowsAsync(
            "SELECT * FROM usage_ledger WHERE tenant_id = $1 ORDER BY ended_at", tenantId, cancellationToken), cancellationToken);
        await JsonAsync(zip, "invoices.json", await RowsAsync("""
            SELECT i.*,
                   (SELECT coalesce(json_agg(l ORDER BY l.line_no), '[]') FROM invoice_lines l WHERE l.invoice_id = i.id) AS lines,
                   (SELECT coalesce(json_agg(c ORDER BY c.created_at), '[]') FROM credit_notes c WHERE c.invoice_id = i.id) AS credit_notes
            FROM invoices i WHERE i.tenant_id = $1 ORDER BY i.period_start
            """, tenantId, cancellationToken), cancellationToken);
        return name;
    }

    private async Task DatasetAsync(ZipArchive zip, Guid tenantId, JsonElement dataset, ExportNames folders, CancellationToken cancellationToken)
    {
        var folder = "datasets/" + folders.Add(dataset.GetProperty("name").GetString()!, dataset.GetProperty("id").GetGuid().ToString("N"),
            $"-v{dataset.GetProperty("version").GetInt32()}");
        var artifact = dataset.GetProperty("artifact_path").GetString()!;
        if (dataset.GetProperty("split_path").GetString() is { Length: > 0 } split)
            await ArtifactAsync(zip, $"{folder}/split.json", tenantId, split, cancellationToken);
        if (dataset.GetProperty("kind").GetString() != "Image")
        {
            await ArtifactAsync(zip, $"{folder}/data.csv", tenantId, artifact, cancellationToken);
            return;
        }
        await ArtifactAsync(zip, $"{folder}/manifest.jsonl", tenantId, artifact, cancellationToken);
        await using var manifest = await store.OpenReadAsync(tenantId, artifact, cancellationToken);
        var record = 0;
        // Labels "a/b" and "a_b" are two folders, each found once: a label's folder name is made on its first image.
        var labelNames = new ExportNames();
        var labelFolders = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var entry in ImageManifest.ReadAsync(manifest, cancellationToken))
        {
            if (!labelFolders.TryGetValue(entry.Label, out var labelFolder))
                labelFolders[entry.Label] = labelFolder = labelNames.Add(entry.Label);
            // The record number keeps the file names apart within a folder.
            await ArtifactAsync(zip, $"{folder}/images/{labelFolder}/{record:D7}-{ExportNames.Clean(Path.GetFileName(entry.Name))}", tenantId, entry.Hash,
                cancellationToken);
            record++;
        }
    }

    private async Task ArtifactAsync(ZipArchive zip, string entryName, Guid tenantId, string hash, CancellationToken cancellationToken)
    {
        await using var source = await store.OpenReadAsync(tenantId, hash, cancellationToken);
        await using var target = zip.CreateEntry(entryName, CompressionLevel.Fastest).Open();
        await source.CopyToAsync(target, cancellationToken);
    }

    private async Task StoredFolderAsync(ZipArchive zip, string prefix, Guid tenantId, string folder, CancellationToken cancellationToken)
    {
        foreach (var file in await storedFolders.ListAsync(tenantId, folder, cancellationToken))
            await ArtifactAsync(zip, $"{prefix}/{file.Path}", tenantId, file.Hash, cancellationToken);
    }

    private static async Task FolderAsync(ZipArchive zip, string prefix, string folder, CancellationToken cancellationToken)
    {
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(folder, path).Replace('\\', '/');
            await using var source = File.OpenRead(path);
            await using var target = zip.CreateEntry($"{prefix}/{relative}", CompressionLevel.Fastest).Open();
            await source.CopyToAsync(target, cancellationToken);
        }
    }

    private async Task<JsonDocument> RowsAsync(string sql, Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT coalesce(json_agg(r), '[]')::text FROM ({sql}) r");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return JsonDocument.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    private static async Task JsonAsync(ZipArchive zip, string entryName, JsonDocument rows, CancellationToken cancellationToken)
    {
        await using var target = zip.CreateEntry(entryName, CompressionLevel.Optimal).Open();
        await JsonSerializer.SerializeAsync(target, rows.RootElement, new JsonSerializerOptions { WriteIndented = true }, cancellationToken);
    }

    private static async Task TextAsync(ZipArchive zip, string entryName, string text, CancellationToken cancellationToken)
    {
        await using var target = new StreamWriter(zip.CreateEntry(entryName).Open());
        await target.WriteAsync(text.AsMemory(), cancellationToken);
    }

    private static string Readme(string name) => $"""
        Export of the organisation "{name}".

        organisation.json, members.json, api-keys.json   the organisation, its members, its API keys (names, never the keys)
        datasets.json, datasets/NAME-vN/                 every dataset version: data.csv (text) or manifest.jsonl and images/LABEL/ (images), split.json
        jobs.json, job-events.json, job-loss-points.json every job with its settings, result and metrics, events and training-loss curve
        models/JOB_ID/                                   the model folder of each succeeded job (Hugging Face layout for text models)
        base-models.json, base-models/NAME/              the organisation's private base models
        usage.json, invoices.json                        metered usage, invoices with their lines and credit notes

        A folder is named after its dataset, label or base model. A name with characters a file system refuses
        (/ \ : * ? " < > |) has them replaced by _, and a name that had to change, or that another name already
        took (ignoring case), ends with a short id: the last 8 characters of its "id" in datasets.json or
        base-models.json, or for a label, of a hash of the label.

        """;
}

/// <summary>The export: the organisation's name and the ZIP, read from the start; disposing it deletes the file.</summary>
public sealed record TenantExport(string OrganisationName, Stream Zip) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Zip.DisposeAsync();
}
