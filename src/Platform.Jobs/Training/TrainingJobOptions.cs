using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Training;

internal sealed class TrainingJobOptions
{
    /// <summary>
    /// Where installs before the artifact store held checkpoints and models kept each job's folder,
    /// {WorkDirectory}/{tenant}/{job}: read to resume a job that was running across the upgrade and to
    /// migrate old models into the store (<see cref="LegacyJobFolderMigration"/>). Nothing is written here
    /// any more: checkpoints and models are stored folders (<see cref="RunStorage"/>).
    /// </summary>
    [Required]
    public string WorkDirectory { get; set; } = "";

    /// <summary>Checkpoint cadence when the job's own settings ask for none.</summary>
    [Range(1, 1_000_000)]
    public int CheckpointEverySteps { get; set; } = 20;

    /// <summary>Least time between two progress writes to the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ReportEvery { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a finished run keeps trying to write its model to an artifact store that refuses
    /// writes before it gives up (an interruption: the next run resumes from the last checkpoint).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PublishPatience { get; set; } = TimeSpan.FromMinutes(10);

    public static string JobDirectory(string root, Guid tenantId, Guid jobId) =>
        Path.Combine(root, tenantId.ToString("N"), jobId.ToString("N"));
}
