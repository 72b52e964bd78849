using System.Text.Json;
using Microsoft.Extensions.Logging;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Metering;

/// <summary>
/// What a worker's device did for one run, as the worker knows it: written to the worker's own disk
/// before the claim is sent (the token only), every spool period while the run trains and once more when the device stops, then removed when
/// the database has recorded the run's end. While the database is away this is the only record of the
/// device time, and a worker restarted after a kill reads its predecessor's (decision 0019).
/// </summary>
internal sealed record RunRecord
{
    public required Guid JobId { get; init; }
    public required Guid TenantId { get; init; }
    public required string Kind { get; init; }
    public required int Attempt { get; init; }
    public required int Segment { get; init; }
    public required Guid LeaseToken { get; init; }

    /// <summary>The last moment the device is known to have worked on the run (worker clock, UTC).</summary>
    public required DateTime ActiveUntilUtc { get; init; }

    /// <summary>Device time from the claim to <see cref="ActiveUntilUtc"/>, on the worker's monotonic clock.</summary>
    public required double DeviceSeconds { get; init; }

    /// <summary>Set once the device stopped: how the run ended (see <see cref="RunOutcomes"/>).</summary>
    public string? Outcome { get; init; }

    /// <summary>The error (a failure) or the reason (an interruption).</summary>
    public string? Message { get; init; }

    /// <summary>A succeeded run's result, for a completion the database could not take yet.</summary>
    public string? ResultJson { get; init; }

    /// <summary>A checkpoint kept on this disk because ownership could not be confirmed when it was saved.</summary>
    public UnpublishedCheckpoint? Unpublished { get; init; }

    /// <summary>
    /// A claim the worker is about to send under <see cref="LeaseToken"/>: the job is not known yet. Left
    /// behind by a worker that died (or lost the answer) before it learnt the job, it ends whatever run the
    /// claim made, at zero device time (<see cref="JobQueue.EndClaimAsync"/>).
    /// </summary>
    public bool IsClaim => JobId == Guid.Empty;

    public static RunRecord Claim(Guid token) => new()
    {
        JobId = Guid.Empty,
        TenantId = Guid.Empty,
        Kind = "",
        Attempt = 0,
        Segment = 0,
        LeaseToken = token,
        ActiveUntilUtc = DateTime.UtcNow,
        DeviceSeconds = 0,
    };

    public ClaimedJob ToClaimedJob() => new(JobId, TenantId, Kind, Attempt, Segment, LeaseToken, "{}");

    public static RunRecord Start(ClaimedJob job) => new()
    {
        JobId = job.JobId,
        TenantId = job.TenantId,
        Kind = job.Kind,
        Attempt = job.Attempt,
        Segment = job.Segment,
        LeaseToken = job.LeaseToken,
        ActiveUntilUtc = DateTime.UtcNow,
        DeviceSeconds = 0,
    };
}

/// <summary>
/// A checkpoint saved on the worker's disk (<see cref="LocalFolder"/>) that belongs in
/// <see cref="SharedRunFolder"/> (the stored folder jobs/{job}/runs/{token}) once the run is known to be the
/// job's latest claim.
/// </summary>
internal sealed record UnpublishedCheckpoint(string LocalFolder, long Step, string SharedRunFolder);

internal static class RunOutcomes
{
    public const string Succeeded = "succeeded";
    public const string Cancelled = "cancelled";
    public const string Released = "released";
    public const string Interrupted = "interrupted";
    public const string Failed = "failed";

    /// <summary>The lease was taken over: there is nothing to record but the device time.</summary>
    public const string Lost = "lost";
}

/// <summary>
/// The spool folder: one JSON file per run under runs/, each run's working files under work/. Exactly
/// one live process uses a folder: it holds an exclusive lock on its ".lock" file, which the kernel
/// drops when the process dies, so a folder whose lock can be taken holds only what dead processes
/// left. A second worker with the same name on one machine takes "{name}-2", and so on.
/// </summary>
internal sealed class DeviceSpool : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly FileStream _lock;

    private DeviceSpool(string directory, FileStream lockFile)
    {
        Directory = directory;
        _lock = lockFile;
    }

    public string Directory { get; }

    private string Runs => Path.Combine(Directory, "runs");

    public static DeviceSpool Open(string root, string name, ILogger logger)
    {
        for (var i = 1; i <= 64; i++)
        {
            var directory = Path.Combine(root, i == 1 ? name : $"{name}-{i}");
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "runs"));
            System.IO.Directory.CreateDirectory(Path.Combine(directory, "work"));
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix, held until the process ends.
                var lockFile = new FileStream(Path.Combine(directory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                logger.LogInformation("Device-time spool in {Directory}", directory);
                return new DeviceSpool(directory, lockFile);
            }
            catch (IOException)
            {
                // Another live worker process uses this folder.
            }
        }
        throw new InvalidOperationException($"No free spool folder for worker '{name}' under {root}.");
    }

    /// <summary>Where a run keeps its checkpoints and model before they are published.</summary>
    public string WorkDirectory(Guid jobId, Guid leaseToken) =>
        Path.Combine(Directory, "work", $"{jobId:N}-{leaseToken:N}");

    /// <summary>
    /// Replaces the run's record: a reader (this process, or the next one after a kill) sees the old record
    /// or the new one, whole. With <paramref name="sync"/> the write also waits for the disk (fsync), so a
    /// machine crash keeps it too; without, it is in the kernel's cache when this returns, which a killed
    /// process's successor reads at once. A run's periodic "still working" records are not synced: on a
    /// busy disk an fsync took seconds (1.5 s at load 30 on the build machine), the next record waited
    /// for it, and a kill in that wait billed the run only up to the record before (chaos seeds 3333 and
    /// 5555: 3.2-3.8 s short; decision 0039). What only a synced record keeps: a claim about to be sent
    /// and how a run ended.
    /// </summary>
    public void Write(RunRecord record, bool sync = true)
    {
        var path = RecordPath(record.LeaseToken);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, record, Json);
            file.Flush(flushToDisk: sync);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The records left in the folder (by this process or a dead one), oldest first.</summary>
    public IReadOnlyList<RunRecord> ReadAll()
    {
        var records = new List<RunRecord>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Runs, "*.json").Order())
        {
            try
            {
                if (JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(file), Json) is { } record)
                    records.Add(record);
            }
            catch (JsonException)
            {
                // Write replaces records whole, so only a file from outside could be torn: not ours to report.
                File.Move(file, file + ".unreadable", overwrite: true);
            }
        }
        return records;
    }

    /// <summary>Forgets a run whose end the database has recorded, with its working files.</summary>
    public void Delete(RunRecord record)
    {
        File.Delete(RecordPath(record.LeaseToken));
        // Named by job and token before claims were spooled (a spool left by an older worker).
        File.Delete(Path.Combine(Runs, $"{record.JobId:N}-{record.LeaseToken:N}.json"));
        var work = WorkDirectory(record.JobId, record.LeaseToken);
        if (System.IO.Directory.Exists(work))
            System.IO.Directory.Delete(work, recursive: true);
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// One file per token: the claim's record (written before the claim is sent) is replaced by the run's
    /// once the claim names the job, so no moment leaves a claimed run without a record.
    /// </summary>
    private string RecordPath(Guid leaseToken) => Path.Combine(Runs, $"{leaseToken:N}.json");
}
