using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Training;

public sealed class TrainingJobOptions
{
    /// <summary>
    /// Where each job's checkpoints and model folder live: {WorkDirectory}/{tenant}/{job}. Must be
    /// storage every worker sees, or a resumed job starts over.
    /// </summary>
    [Required]
    public string WorkDirectory { get; set; } = "";

    /// <summary>Checkpoint cadence when the job's own settings ask for none.</summary>
    [Range(1, 1_000_000)]
    public int CheckpointEverySteps { get; set; } = 20;

    /// <summary>Least time between two progress writes to the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ReportEvery { get; set; } = TimeSpan.FromSeconds(1);

    public static string JobDirectory(string root, Guid tenantId, Guid jobId) =>
        Path.Combine(root, tenantId.ToString("N"), jobId.ToString("N"));
}
