using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Background;

/// <summary>Section "BackgroundJobs": Hangfire, which runs the platform's periodic work (docs/decisions/0024).</summary>
public sealed class BackgroundJobsOptions
{
    public const string SectionName = "BackgroundJobs";

    /// <summary>Where platform admins find the Hangfire Dashboard (history, retries, "Trigger now").</summary>
    public const string DashboardPath = "/admin/background-jobs";

    /// <summary>
    /// Runs a Hangfire server in this portal process: it fires the recurring jobs and works the ones
    /// enqueued (one of the servers takes each). False leaves background work to other instances;
    /// tests turn it off and run the steps themselves.
    /// </summary>
    public bool Server { get; set; } = true;

    /// <summary>Background jobs this process runs at once. The periodic work is light: a few suffice.</summary>
    [Range(1, 64)]
    public int WorkerCount { get; set; } = 2;

    /// <summary>The PostgreSQL schema of Hangfire's tables, in the platform database. Hangfire installs and upgrades it.</summary>
    [Required, RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "hangfire";

    /// <summary>How long a finished job's record (arguments, result, state history) stays in the dashboard.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan History { get; set; } = TimeSpan.FromDays(7);
}
