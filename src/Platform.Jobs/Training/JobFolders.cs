using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// The names of a job's folders in the artifact store (<see cref="Platform.Data.Artifacts.StoredFolders"/>):
/// jobs/{job}/runs/{token}/checkpoint-{step} and jobs/{job}/runs/{token}/model, under the fencing token
/// of the run that wrote them (decision 0019).
/// </summary>
internal static class JobFolders
{
    public const string ModelName = "model";

    public static string Job(Guid jobId) => $"jobs/{jobId:N}/";

    public static string Runs(Guid jobId) => $"jobs/{jobId:N}/runs/";

    public static string Run(Guid jobId, Guid leaseToken) => $"jobs/{jobId:N}/runs/{leaseToken:N}";

    public static string Checkpoint(string runFolder, long step) => $"{runFolder}/{CheckpointTransfer.FolderName(step)}";

    public static string Model(string runFolder) => $"{runFolder}/{ModelName}";

    /// <summary>The step of a checkpoint folder's name; null for anything else.</summary>
    public static long? CheckpointStep(string folder) =>
        IsCheckpoint(folder) && long.TryParse(folder[(folder.LastIndexOf('/') + 1 + "checkpoint-".Length)..],
            System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var step)
            ? step
            : null;

    /// <summary>Whether a stored folder is a checkpoint (what retention removes), not a model.</summary>
    public static bool IsCheckpoint(string folder) =>
        folder[(folder.LastIndexOf('/') + 1)..].StartsWith("checkpoint-", StringComparison.Ordinal);
}
