using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Platform.Jobs.Workers;

namespace Platform.Jobs.Training;

/// <summary>One step of a run as the job page and the API show it.</summary>
/// <param name="Extra">Further fields of the progress JSON (a pre-training's held-out perplexity).</param>
internal sealed record StepReport(long Step, long TotalSteps, int Epoch, int Epochs, double Loss, double LearningRate,
    double SamplesPerSecond, TimeSpan EstimatedRemaining, IReadOnlyDictionary<string, object?>? Extra = null);

/// <summary>
/// Carries a training thread's reports to the database without ever making it wait: callbacks only
/// post to a channel that a pump drains. Steps are throttled to one write per <c>every</c> (progress
/// and one loss-curve point, no event row); the run's last step and the step before each epoch's end
/// always go through, so a run that stops early still shows where it stopped.
/// </summary>
internal sealed class JobProgressReporter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Channel<Report> _reports = Channel.CreateUnbounded<Report>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LossWindow _lossWindow = new();
    private readonly TimeSpan _every;
    private readonly Task _pump;
    private DateTime _lastStep = DateTime.MinValue;
    private StepReport? _unreported;

    public JobProgressReporter(JobContext context, LossCurveRecorder lossCurve, TimeSpan every, ILogger logger)
    {
        _every = every;
        _pump = PumpAsync(context, lossCurve, logger);
    }

    /// <summary>After every optimiser step, on the training thread.</summary>
    public void Step(StepReport step)
    {
        _lossWindow.Add(step.Loss);
        _unreported = step;
        if (DateTime.UtcNow - _lastStep >= _every || step.Step == step.TotalSteps)
            Post(step);
    }

    /// <summary>An event line; a pending step goes first so the step count is current when the line appears.</summary>
    public void Event(string type, string message, string? dataJson = null, bool flushStep = false)
    {
        if (flushStep)
            Flush();
        _reports.Writer.TryWrite(new Report(null, type, message, dataJson, null));
    }

    /// <summary>Writes the last step if the throttle held it back (call when the run ends).</summary>
    public void Flush()
    {
        if (_unreported is { } pending)
            Post(pending);
    }

    /// <summary>Stops taking reports and waits until every one is written (or given up on).</summary>
    public async Task CompleteAsync()
    {
        _reports.Writer.TryComplete();
        await _pump;
    }

    private void Post(StepReport step)
    {
        _unreported = null;
        _lastStep = DateTime.UtcNow;
        var progress = new Dictionary<string, object?>
        {
            ["step"] = step.Step,
            ["totalSteps"] = step.TotalSteps,
            ["epoch"] = step.Epoch,
            ["epochs"] = step.Epochs,
            ["loss"] = step.Loss,
            ["learningRate"] = step.LearningRate,
            ["samplesPerSecond"] = step.SamplesPerSecond,
            ["etaSeconds"] = step.EstimatedRemaining.TotalSeconds,
        };
        foreach (var (key, value) in step.Extra ?? new Dictionary<string, object?>())
            progress[key] = value;
        _reports.Writer.TryWrite(new Report(JsonSerializer.Serialize(progress, Json), null, null, null,
            _lossWindow.Take(step.Step, step.TotalSteps, step.LearningRate)));
    }

    private async Task PumpAsync(JobContext context, LossCurveRecorder lossCurve, ILogger logger)
    {
        await foreach (var report in _reports.Reader.ReadAllAsync())
        {
            try
            {
                await context.ReportAsync(report.ProgressJson, report.EventType, report.Message, report.DataJson);
                if (report.LossPoint is { } point)
                    await lossCurve.RecordAsync(context.Job, point);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // Progress is best effort: training goes on while the database is unreachable.
                logger.LogWarning("Progress of job {JobId} not recorded ({Message})", context.Job.JobId, ex.Message);
            }
        }
    }

    private sealed record Report(string? ProgressJson, string? EventType, string? Message, string? DataJson, LossPoint? LossPoint);
}
