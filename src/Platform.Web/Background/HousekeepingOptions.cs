using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Background;

/// <summary>Section "Housekeeping": what the daily housekeeping jobs remove (docs/decisions/0024).</summary>
public sealed class HousekeepingOptions
{
    public const string SectionName = "Housekeeping";

    /// <summary>
    /// Upload scratch files untouched for this long are left over from a crashed process (a live upload
    /// writes its file as it streams, and deletes it when the request ends).
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan UploadSpoolAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Worker rows stopped (or silent: no heartbeat, a host that died) for this long are deleted. The
    /// workers page shows the last day's stopped workers; usage keeps its worker ids without the row.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00")]
    public TimeSpan StoppedWorkerRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Event lines of jobs that finished this long ago are deleted, all but each job's last (its outcome).
    /// Jobs, results, metrics and usage stay.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan JobEventRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>When the housekeeping jobs run (cron, UTC): daily at 03:17 by default.</summary>
    [Required]
    public string Cron { get; set; } = "17 3 * * *";
}
