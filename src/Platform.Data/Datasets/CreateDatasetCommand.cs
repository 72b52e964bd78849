using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts;
using Platform.Data.Datasets.Ingestion;
using Platform.Data.Tenants;
using Platform.Domain.Common;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

/// <summary>
/// Turns an upload into the next version of a dataset: spool (size-limited), validate, profile,
/// split, store, then write the row. Any failure, the user's or ours, leaves no row and no new file.
/// </summary>
public sealed class CreateDatasetCommand(
    PlatformDbContext db,
    ICurrentTenant current,
    IArtifactStore store,
    IOptions<DatasetOptions> datasetOptions,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time,
    ILogger<CreateDatasetCommand> logger,
    IImageVerifier imageVerifier,
    IDatasetQuota? quota = null)
{
    private const int VersionAttempts = 5;

    private DatasetOptions Options => datasetOptions.Value;

    private string ScratchDirectory => storageOptions.Value.UploadScratchDirectory();

    public async Task<Result<Dataset>> ExecuteAsync(CreateDatasetRequest request, CancellationToken cancellationToken = default)
    {
        var allowed = await TenantGuard.RequireWritableAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
        {
            return Result<Dataset>.From(allowed);
        }
        if (Dataset.ValidateName(request.Name) is { } nameError)
        {
            return Result<Dataset>.BadRequest(nameError);
        }
        var limits = quota is null ? null : await quota.GetAsync(current.TenantId!.Value, cancellationToken);
        var planCapsUpload = limits is { MaxDatasetBytes: > 0 } && limits.MaxDatasetBytes < Options.MaxUploadBytes;
        var spooled = planCapsUpload
            ? await UploadSpool.CreateAsync(request.Content, ScratchDirectory, limits!.MaxDatasetBytes, cancellationToken,
                $"dataset limit of the {limits.PlanName} plan")
            : await UploadSpool.CreateAsync(request.Content, ScratchDirectory, Options.MaxUploadBytes, cancellationToken);
        if (!spooled.IsSuccess)
        {
            return Result<Dataset>.From(spooled);
        }
        await using var spool = spooled.Value;
        var batch = new ArtifactBatch(store, current.TenantId!.Value, Options.StorageBlockBytes);
        try
        {
            var contentHash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(spool.File, cancellationToken));
            spool.File.Position = 0;
            var draft = request.Kind switch
            {
                DatasetKind.Text => await IngestTextAsync(request, spool, contentHash, batch, cancellationToken),
                DatasetKind.Corpus => await IngestCorpusAsync(request, spool, contentHash, batch, cancellationToken),
                DatasetKind.Tabular => await IngestTabularAsync(request, spool, contentHash, batch, cancellationToken),
                _ => await IngestImagesAsync(request, spool, contentHash, batch, cancellationToken),
            };
            if (!draft.IsSuccess)
            {
                await DiscardAsync(batch);
                return Result<Dataset>.From(draft);
            }
            if (await StoredFilesRefusalAsync(batch, cancellationToken) is { } tooMany)
            {
                await DiscardAsync(batch);
                return Result<Dataset>.Conflict(tooMany);
            }
            // Counted as stored, after ingestion: a ZIP of tiny images is small to upload and large on disk.
            if (limits is { MaxStorageBytes: > 0 } && await StorageRefusalAsync(limits, batch, cancellationToken) is { } refusal)
            {
                await DiscardAsync(batch);
                return Result<Dataset>.Conflict(refusal);
            }
            return Result<Dataset>.Success(await InsertAsync(draft.Value, batch, cancellationToken));
        }
        catch (IngestionException ex)
        {
            await DiscardAsync(batch);
            return Result<Dataset>.BadRequest(ex.Message);
        }
        catch
        {
            await DiscardAsync(batch);
            throw;
        }
    }

    /// <summary>
    /// Null when the files this upload adds fit in the plan's storage, counted as stored: each file's
    /// stored length in whole blocks (<see cref="DatasetOptions.StorageBlockBytes"/>), a file shared by
    /// several versions once. Two uploads at once may both fit and together pass the limit: storage is
    /// a plan allowance (the file cap bounds the disk), so that is accepted.
    /// </summary>
    private async Task<string?> StorageRefusalAsync(DatasetLimits limits, ArtifactBatch batch, CancellationToken cancellationToken)
    {
        var used = await StoredBytesAsync(cancellationToken);
        var adding = batch.AddedStoredBytes;
        if (used + adding <= limits.MaxStorageBytes)
        {
            return null;
        }
        return $"This upload takes {UploadSpool.Describe(adding)} on disk ({batch.Added.Count:N0} files), which would bring the organisation's datasets to " +
               $"{UploadSpool.Describe(used + adding)}; the {limits.PlanName} plan includes " +
               $"{UploadSpool.Describe(limits.MaxStorageBytes)}. Delete datasets you no longer need or change the plan.";
    }

    /// <summary>
    /// What the organisation's datasets take on disk: every file once, at its recorded size; a dataset
    /// stored before sizes were recorded counts its upload size instead.
    /// </summary>
    private async Task<long> StoredBytesAsync(CancellationToken cancellationToken)
    {
        var tenantId = current.TenantId!.Value;
        return await db.Database.SqlQuery<long>($"""
            SELECT ((SELECT coalesce(sum(size), 0) FROM (
                        SELECT max(stored_bytes) AS size FROM dataset_files
                        WHERE tenant_id = {tenantId} AND stored_bytes IS NOT NULL GROUP BY hash) sized)
                 + (SELECT coalesce(sum(d.size_bytes), 0) FROM datasets d
                    WHERE d.tenant_id = {tenantId} AND EXISTS (
                        SELECT 1 FROM dataset_files f WHERE f.tenant_id = d.tenant_id AND f.dataset_id = d.id AND f.stored_bytes IS NULL)))::bigint
                 AS "Value"
            """).SingleAsync(cancellationToken);
    }

    /// <summary>
    /// Null when the organisation's files, with the ones this upload added, stay within
    /// <see cref="DatasetOptions.MaxStoredFilesPerTenant"/>. Counted as stored: a ZIP of tiny images is
    /// small to upload but becomes one file (an inode and a disk block at least) per image.
    /// </summary>
    private async Task<string?> StoredFilesRefusalAsync(ArtifactBatch batch, CancellationToken cancellationToken)
    {
        var stored = await db.DatasetFiles.Select(f => f.Hash).Distinct().CountAsync(cancellationToken);
        var total = stored + batch.Added.Count;
        return total <= Options.MaxStoredFilesPerTenant
            ? null
            : $"This upload adds {batch.Added.Count:N0} files, which would bring the organisation's datasets to {total:N0} stored files; " +
              $"at most {Options.MaxStoredFilesPerTenant:N0} are allowed. Delete datasets you no longer need.";
    }

    private async Task<Result<DatasetDraft>> IngestTextAsync(
        CreateDatasetRequest request, UploadSpool spool, string contentHash, ArtifactBatch batch, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ScratchDirectory);
        await using var normalized = new FileStream(Path.Combine(ScratchDirectory, Guid.NewGuid().ToString("N")), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        var text = new TextIngester(Options).Ingest(spool.File, request.TextColumn, request.LabelColumn, normalized);
        var profile = DatasetProfile.Build(text.Labels, text.Stats, text.Warnings, Options.Rules);
        if (!profile.IsSuccess)
        {
            return Result<DatasetDraft>.From(profile);
        }
        // Nothing is stored until the upload has proved usable.
        var dataHash = await batch.PutAsync(normalized, cancellationToken);
        return await DraftAsync(request, contentHash, spool.File.Length, dataHash, text.TextColumn, text.LabelColumn, text.Labels, profile.Value, text.Samples, batch, cancellationToken, text.CopyOf);
    }

    private async Task<Result<DatasetDraft>> IngestTabularAsync(
        CreateDatasetRequest request, UploadSpool spool, string contentHash, ArtifactBatch batch, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ScratchDirectory);
        await using var normalized = new FileStream(Path.Combine(ScratchDirectory, Guid.NewGuid().ToString("N")), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        var table = new TabularIngester(Options).Ingest(spool.File, request.LabelColumn, request.ExcludedColumns ?? [], normalized);
        var profile = DatasetProfile.Build(table.Labels, table.Stats, table.Warnings, Options.Rules);
        if (!profile.IsSuccess)
        {
            return Result<DatasetDraft>.From(profile);
        }
        normalized.Position = 0;
        var dataHash = await batch.PutAsync(normalized, cancellationToken);
        return await DraftAsync(request, contentHash, spool.File.Length, dataHash, null, table.Target, table.Labels, profile.Value, table.Samples, batch, cancellationToken);
    }

    private async Task<Result<DatasetDraft>> IngestCorpusAsync(
        CreateDatasetRequest request, UploadSpool spool, string contentHash, ArtifactBatch batch, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ScratchDirectory);
        await using var normalized = new FileStream(Path.Combine(ScratchDirectory, Guid.NewGuid().ToString("N")), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        var ingester = new CorpusIngester(Options);
        var corpus = request.Lines
            ? ingester.IngestLines(spool.File, normalized)
            : ingester.IngestCsv(spool.File, request.TextColumn, normalized);
        var profile = DatasetProfile.BuildCorpus(corpus.Documents, corpus.Stats, corpus.Warnings, Options.Rules);
        if (!profile.IsSuccess)
        {
            return Result<DatasetDraft>.From(profile);
        }
        normalized.Position = 0;
        var dataHash = await batch.PutAsync(normalized, cancellationToken);
        // Every document has the same (empty) label, so the split is a plain random held-out slice.
        var documents = Enumerable.Repeat("", corpus.Documents).ToList();
        return await DraftAsync(request, contentHash, spool.File.Length, dataHash, request.Lines ? null : (request.TextColumn ?? TextIngester.DefaultTextColumn),
            null, documents, profile.Value, corpus.Samples, batch, cancellationToken);
    }

    private async Task<Result<DatasetDraft>> IngestImagesAsync(
        CreateDatasetRequest request, UploadSpool spool, string contentHash, ArtifactBatch batch, CancellationToken cancellationToken)
    {
        var images = await new ImageIngester(Options, imageVerifier).IngestAsync(spool.File, batch, cancellationToken);
        var profile = DatasetProfile.Build(images.Labels, images.Stats, images.Warnings, Options.Rules);
        if (!profile.IsSuccess)
        {
            return Result<DatasetDraft>.From(profile);
        }
        return await DraftAsync(request, contentHash, spool.File.Length, images.ManifestHash, null, null, images.Labels, profile.Value, images.Samples, batch, cancellationToken, images.CopyOf);
    }

    private async Task<Result<DatasetDraft>> DraftAsync(
        CreateDatasetRequest request, string contentHash, long size, string dataHash, string? textColumn, string? labelColumn,
        IReadOnlyList<string> labels, DatasetProfile profile, IReadOnlyList<DatasetSample> samples, ArtifactBatch batch, CancellationToken cancellationToken,
        IReadOnlyDictionary<int, int>? copyOf = null)
    {
        var split = DatasetSplit.Stratified(labels, Options.ValidationFraction, Options.SplitSeed, copyOf);
        using var splitFile = SplitFile.Write(split);
        var splitHash = await batch.PutAsync(splitFile, cancellationToken);
        return Result<DatasetDraft>.Success(new DatasetDraft(
            request.Name.Trim(), request.Kind, contentHash, dataHash, splitHash, size, textColumn, labelColumn, profile, split, samples));
    }

    private async Task<Dataset> InsertAsync(DatasetDraft draft, ArtifactBatch batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var latest = await db.Datasets.Where(d => d.Name == draft.Name).MaxAsync(d => (int?)d.Version, cancellationToken) ?? 0;
            var dataset = Dataset.Create(draft, batch.TenantId, latest + 1, current.UserId!.Value, time.GetUtcNow());
            db.Datasets.Add(dataset);
            foreach (var hash in batch.All)
            {
                db.DatasetFiles.Add(new DatasetFile { TenantId = batch.TenantId, DatasetId = dataset.Id, Hash = hash, StoredBytes = batch.StoredBytes(hash) });
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                logger.LogInformation("Dataset {Name} v{Version} created for tenant {TenantId} ({Rows} rows)", dataset.Name, dataset.Version, batch.TenantId, dataset.RowCount);
                return dataset;
            }
            catch (DbUpdateException ex) when (ex.IsUniqueViolation() && attempt < VersionAttempts)
            {
                // Another upload under the same name took this version number; take the next one.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task DiscardAsync(ArtifactBatch batch)
    {
        db.ChangeTracker.Clear();
        try
        {
            await DatasetArtifacts.DeleteUnreferencedAsync(db, store, batch.TenantId, batch.Added, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The original failure matters more; stray files are harmless and logged for a sweep.
            logger.LogError(ex, "Could not remove {Count} files of a failed upload for tenant {TenantId}", batch.Added.Count, batch.TenantId);
        }
    }
}
