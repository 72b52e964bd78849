using System.Text.Json;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Data.Datasets.Ingestion;
using Platform.Domain.Common;
using Platform.Domain.Usage;
using Platform.Jobs.Launch;
using Platform.Jobs.Models;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Predictions;

/// <summary>
/// Launches a batch prediction: the current tenant's trained model on an uploaded file. The file is read
/// now, as the job will read it, so a wrong format, a missing column, a value the model cannot read or an
/// unsafe ZIP is refused at once with the reason, and stored (encrypted, in the job's folder) before the
/// job is committed, so a worker never claims a job whose input is missing. Same admission as every launch: confirmed email, suspension, active-job cap,
/// quota (a batch is estimated at <see cref="SecondsPerRow"/> a row).
/// </summary>
public sealed class LaunchBatchPredictionCommand(NpgsqlDataSource dataSource, JobQueue queue, ModelQueries models, StoredFolders storedFolders,
    ICurrentTenant current, ILaunchQuota? quota = null)
{
    public const string JobKind = BatchPredictionJobHandler.JobKind;

    /// <summary>A deliberately high guess of one prediction's device time on a CPU (a small BERT on one core).</summary>
    public const double SecondsPerRow = 0.05;

    public const long MaxUploadBytes = 100L * 1024 * 1024;

    /// <summary>
    /// One attempt: a batch's own failure (its file, its model) comes back the same on every run, so a retry
    /// would only repeat it, three times over with back-offs, before the job showed its error. Infrastructure
    /// faults still retry: they never count against attempts (decision 0019).
    /// </summary>
    public const int MaxAttempts = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<Result<Guid>> ExecuteAsync(Guid modelJobId, string fileName, Stream content, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<Guid>.Forbidden("Choose an organisation first.");
        var model = await models.GetAsync(modelJobId, cancellationToken);
        if (model is null)
            return Result<Guid>.NotFound("Model not found.");
        if (BatchInputs.Refusal(model.Kind, fileName) is { } wrongFormat)
            return Result<Guid>.BadRequest(wrongFormat);
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var scratch = Path.Combine(Path.GetTempPath(), $"platform-batch-{Guid.NewGuid():N}{extension}");
        try
        {
            await using (var file = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > MaxUploadBytes)
                        return Result<Guid>.BadRequest($"The file is larger than {MaxUploadBytes / 1024 / 1024} MB.");
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            int rows;
            try
            {
                rows = BatchInputs.Read(model.Kind, scratch, model.Table).Items.Count;
            }
            catch (Exception ex) when (ex is InvalidDataException or UnsafeZipException)
            {
                return Result<Guid>.BadRequest($"The file cannot be classified: {ex.Message}");
            }

            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var admitted = await LaunchChecks.AdmitAsync(connection, transaction, tenantId, current.UserId, cancellationToken);
            if (!admitted.IsSuccess)
                return Result<Guid>.From(admitted);
            string? warning = null;
            if (quota is not null)
            {
                var deviceKind = await LaunchChecks.LikelyDeviceAsync(connection, transaction, cancellationToken);
                var allowed = await quota.CheckAsync(deviceKind, rows * SecondsPerRow / 3600, cancellationToken);
                if (!allowed.IsSuccess)
                    return Result<Guid>.From(allowed);
                warning = allowed.Value;
            }
            var inputFile = "input" + extension;
            var name = $"Predict {Path.GetFileName(fileName)} · {model.Name}";
            // The job id names the input's folder: enqueue first (uncommitted, so unclaimable), store, then commit.
            var placeholder = JsonSerializer.Serialize(new { }, Json);
            var id = await queue.EnqueueAsync(connection, transaction,
                new JobSubmission(tenantId, JobKind, DisplayName.Clean(name, LaunchJobCommand.NameMaxLength), placeholder, MaxAttempts: MaxAttempts, CreatedBy: current.UserId), cancellationToken);
            var inputFolder = $"jobs/{id:N}/input";
            await using (var stored = File.OpenRead(scratch))
                await storedFolders.PutFileAsync(tenantId, inputFolder, inputFile, stored, cancellationToken);
            var payload = new BatchPredictionPayload(model.JobId, model.Kind, model.Stored ? model.Folder : null, model.Stored ? null : model.Folder,
                inputFolder, inputFile);
            await using (var update = new NpgsqlCommand("UPDATE jobs SET payload = $2::jsonb WHERE id = $1", connection, transaction))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = id });
                update.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(payload, Json) });
                await update.ExecuteNonQueryAsync(cancellationToken);
            }
            await LaunchChecks.AddEventAsync(connection, transaction, tenantId, id, "log",
                $"{rows:N0} {(model.Kind == "cnn" ? "images" : "rows")} to classify with {model.Name}.", cancellationToken);
            if (warning is not null)
                await LaunchChecks.AddEventAsync(connection, transaction, tenantId, id, "quota", warning, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return Result<Guid>.Success(id);
        }
        finally
        {
            File.Delete(scratch);
        }
    }
}
