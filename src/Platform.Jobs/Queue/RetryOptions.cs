using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Queue;

/// <summary>
/// Section "Retry": how a job comes back after a run that ended without an outcome (decision 0019).
/// A failure of the job itself uses one of its attempts; an interruption by infrastructure uses none.
/// Both wait <see cref="Backoff"/> * 2^(n-1), at most <see cref="BackoffCap"/>, and a random half to
/// the whole of that, so that jobs interrupted together (a database restart) spread out again.
/// </summary>
public sealed record RetryOptions : IValidatableObject
{
    public const string SectionName = "Retry";

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Backoff { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan BackoffCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Interruptions after which a job fails anyway: generous, so that no fault that passes ever gets
    /// there, but a job that can never run (every worker dies on it) ends some day.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxInterruptions { get; set; } = 25;

    /// <summary>
    /// How long the usage segment of a run whose lease ran out stays open for its worker's report of
    /// when the device stopped (a worker that lost the database reports when it is back; one restarted
    /// after a kill reports from its spool). After that the segment ends at the run's last renewal.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan ReportGrace { get; set; } = TimeSpan.FromMinutes(15);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Backoff > BackoffCap)
        {
            yield return new ValidationResult(
                $"Retry:Backoff ({Backoff}) must not exceed Retry:BackoffCap ({BackoffCap}): the first wait would already be past the cap.",
                [nameof(Backoff), nameof(BackoffCap)]);
        }
    }

    /// <summary>No waiting at all: for tests that drive the queue by hand.</summary>
    public static RetryOptions Immediate => new() { Backoff = TimeSpan.Zero, BackoffCap = TimeSpan.Zero };
}
