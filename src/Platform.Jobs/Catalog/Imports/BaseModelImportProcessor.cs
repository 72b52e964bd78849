using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Datasets.Ingestion;
using Platform.Jobs.Catalog.Hub;
using Platform.Training.Models.Text;

namespace Platform.Jobs.Catalog.Imports;

/// <summary>An import that cannot succeed as asked; the message is for the user.</summary>
internal sealed class ImportFailure(string message) : Exception(message);

/// <summary>
/// Carries one claimed import through: a Hub import downloads config.json (refusing an unsupported
/// architecture before the weights), the vocabulary and model.safetensors of the pinned commit, each
/// verified against the Hub's size and hash; an upload extracts its ZIP through the dataset upload's
/// safety checks. Both then validate by loading and add the model to the catalog. The lease is renewed
/// (with the progress) on its own timer, which also notices a cancel; a stop of the host hands the
/// import back, to be resumed from the files already on disk.
/// </summary>
internal sealed class BaseModelImportProcessor(
    BaseModelImportStore store,
    BaseModelCatalog catalog,
    HuggingFaceHubClient hub,
    IOptions<ModelCatalogOptions> options,
    ILogger<BaseModelImportProcessor> logger)
{
    private static readonly string[] OptionalTokenizerFiles = ["tokenizer_config.json", "special_tokens_map.json"];

    public async Task ProcessAsync(ClaimedImport import, CancellationToken stopping)
    {
        var folder = Path.Combine(options.Value.ImportsRoot, import.Id.ToString("N"));
        var progress = new Progress();
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var stopHeartbeat = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(import, progress, work, stopHeartbeat.Token);
        string state;
        string? error = null;
        Guid? modelId = null;
        var keepFiles = false;
        try
        {
            modelId = import.SourceKind == "hub"
                ? await FromHubAsync(import, folder, progress, work.Token)
                : await FromUploadAsync(import, folder, progress, work.Token);
            state = ImportStates.Done;
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            if (progress.LeaseLost)
            {
                logger.LogWarning("Import {ImportId} lost its lease; another instance carries on", import.Id);
                return;
            }
            if (!progress.CancelRequested)
            {
                // The host is stopping: keep the files, give the import back for the next instance to resume.
                await stopHeartbeat.CancelAsync();
                await heartbeat;
                await store.ReleaseAsync(import, CancellationToken.None);
                logger.LogInformation("Import {ImportId} handed back at {Bytes} bytes to resume later", import.Id, progress.Bytes);
                return;
            }
            state = ImportStates.Cancelled;
        }
        catch (ImportFailure ex)
        {
            (state, error) = (ImportStates.Failed, ex.Message);
        }
        catch (HubException ex)
        {
            (state, error, keepFiles) = (ImportStates.Failed, ex.Transient ? $"{ex.Message} Retry resumes the download." : ex.Message, ex.Transient);
        }
        catch (UnsafeZipException ex)
        {
            (state, error) = (ImportStates.Failed, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NpgsqlException)
        {
            logger.LogError(ex, "Import {ImportId} failed", import.Id);
            (state, error) = (ImportStates.Failed, $"The import failed: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug, not the user's input: fail the import rather than have every instance claim it forever.
            logger.LogError(ex, "Import {ImportId} failed unexpectedly", import.Id);
            (state, error) = (ImportStates.Failed, "The import failed unexpectedly; the server log has the details.");
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
        }
        await heartbeat;
        if (!keepFiles && Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        if (!await store.FinishAsync(import, state, error, modelId, CancellationToken.None))
            logger.LogWarning("Import {ImportId} ended {State} after its lease was lost", import.Id, state);
        else
            logger.LogInformation("Import {ImportId} ({Name}) {State}{Error}", import.Id, import.Name, state, error is null ? "" : $": {error}");
    }

    private async Task<Guid> FromHubAsync(ClaimedImport import, string folder, Progress progress, CancellationToken cancellationToken)
    {
        var repoId = import.RepoId!;
        var info = await hub.GetModelInfoAsync(repoId, import.CommitSha ?? import.Revision!, cancellationToken);
        var at = $"'{repoId}' at {import.Revision}";
        if (info.ModelType is { } type && !TextModels.IsTextModelType(type))
            throw new ImportFailure($"{at} is a '{type}' model; the platform trains {TextModels.Supported}.");
        var config = info.File("config.json") ?? throw new ImportFailure($"{at} has no config.json: it is not a Transformers model.");
        var weights = info.File("model.safetensors");
        if (weights is null)
        {
            if (info.Files.Any(f => f.Name is "pytorch_model.bin" || f.Name.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase)))
                throw new ImportFailure(ModelZip.PickleOnly(at));
            if (info.File("model.safetensors.index.json") is not null)
                throw new ImportFailure($"{at} splits its weights into several safetensors files; the platform imports a single model.safetensors.");
            throw new ImportFailure($"{at} has no model.safetensors.");
        }
        var vocab = info.File("vocab.txt") ?? throw new ImportFailure(
            $"{at} has no vocab.txt: the platform's tokenizer needs a WordPiece vocabulary, as BERT and DistilBERT models have.");
        List<HubFile> files = [config, vocab, .. OptionalTokenizerFiles.Select(info.File).OfType<HubFile>(), weights];
        var total = files.Sum(f => f.Size ?? 0);
        if (total > options.Value.MaxImportBytes)
            throw new ImportFailure($"{at} is {total:N0} bytes, more than the {options.Value.MaxImportBytes:N0} an import may download (Catalog:MaxImportBytes).");
        // Pinned: a resumed import downloads the same commit, whatever the branch points to by then.
        await store.SetStateAsync(import, ImportStates.Downloading, info.Sha, total, cancellationToken);
        Directory.CreateDirectory(folder);

        long done = 0;
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file.Name);
            if (!File.Exists(path))
            {
                progress.File = file.Name;
                var before = done;
                await hub.DownloadAsync(repoId, info.Sha, file, path + ".part", written => progress.Bytes = before + written, cancellationToken);
                File.Move(path + ".part", path, overwrite: true);
            }
            done += new FileInfo(path).Length;
            progress.Bytes = done;
            if (file == config)
                CheckConfig(path, at);
        }
        progress.File = null;
        await store.SetStateAsync(import, ImportStates.Validating, null, null, cancellationToken);
        return await AddAsync(import, folder, $"hf:{repoId}@{info.Sha}", cancellationToken);
    }

    private async Task<Guid> FromUploadAsync(ClaimedImport import, string folder, Progress progress, CancellationToken cancellationToken)
    {
        var zipPath = Path.Combine(folder, UploadFileName);
        if (!File.Exists(zipPath))
            throw new ImportFailure("The uploaded ZIP is no longer on the server; upload it again.");
        var model = Path.Combine(folder, "model");
        if (Directory.Exists(model))
            Directory.Delete(model, recursive: true);
        Directory.CreateDirectory(model);
        await using (var stream = new FileStream(zipPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        using (var archive = ZipSafety.Open(stream, ModelZip.MaxEntries))
        {
            var plan = ModelZip.Plan(archive, options.Value.MaxUploadBytes);
            long done = 0;
            foreach (var (name, entry) in plan)
            {
                progress.File = name;
                await using (var target = new FileStream(Path.Combine(model, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    await ZipSafety.CopyBoundedAsync(entry, target, cancellationToken);
                done += entry.Length;
                progress.Bytes = done;
            }
        }
        CheckConfig(Path.Combine(model, "config.json"), "The uploaded model");
        progress.File = null;
        return await AddAsync(import, model, "upload", cancellationToken);
    }

    /// <summary>The uploaded ZIP's name in an import's folder.</summary>
    internal const string UploadFileName = "upload.zip";

    /// <summary>Refuses an unsupported architecture by name as soon as config.json is there (before the weights).</summary>
    private static void CheckConfig(string path, string what)
    {
        try
        {
            TextModels.ParseConfig(File.ReadAllText(path));
        }
        catch (InvalidDataException ex)
        {
            throw new ImportFailure($"{what} cannot be trained here: {ex.Message}.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ImportFailure($"{what} has a config.json that is not valid: {ex.Message}");
        }
    }

    private async Task<Guid> AddAsync(ClaimedImport import, string folder, string source, CancellationToken cancellationToken)
    {
        var added = await catalog.AddTextModelAsync(
            new TextModelRegistration(import.TenantId, import.Name, folder, import.Description, source, import.CreatedBy),
            moveFiles: true, cancellationToken);
        return added.IsSuccess ? added.Value.Id : throw new ImportFailure(added.Error!);
    }

    /// <summary>
    /// Renews the lease and writes the progress on its own timer, never on the download's. A lost lease
    /// or a cancel request stops the work through <paramref name="work"/>.
    /// </summary>
    private async Task HeartbeatAsync(ClaimedImport import, Progress progress, CancellationTokenSource work, CancellationToken stop)
    {
        var lease = options.Value.ImportLease;
        var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks,
            Math.Min(options.Value.ProgressEvery.Ticks, lease.Ticks / 3)));
        while (true)
        {
            try
            {
                await Task.Delay(interval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                var cancel = await store.HeartbeatAsync(import, lease, progress.Bytes, progress.File, CancellationToken.None);
                if (cancel is null)
                    progress.LeaseLost = true;
                else if (cancel == true)
                    progress.CancelRequested = true;
                if (cancel != false)
                {
                    await work.CancelAsync();
                    return;
                }
            }
            catch (NpgsqlException ex)
            {
                // A database blip: the lease has room for a few missed beats.
                logger.LogWarning(ex, "Import {ImportId}: heartbeat failed", import.Id);
            }
        }
    }

    /// <summary>Written by the download, read by the heartbeat.</summary>
    private sealed class Progress
    {
        private long _bytes;
        private volatile string? _file;

        public long Bytes
        {
            get => Interlocked.Read(ref _bytes);
            set => Interlocked.Exchange(ref _bytes, value);
        }

        public string? File
        {
            get => _file;
            set => _file = value;
        }

        public volatile bool LeaseLost;
        public volatile bool CancelRequested;
    }
}
