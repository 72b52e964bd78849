using Platform.Jobs.Workers;

namespace Platform.Jobs.Training;

/// <summary>One step of a run as the job page and the API show it.</summary>
/// <param name="Perplexity">A pre-training's held-out perplexity, once measured.</param>
internal sealed record StepReport(long Step, long TotalSteps, int Epoch, int Epochs, double Loss, double LearningRate,
    double SamplesPerSecond, TimeSpan EstimatedRemaining, double? Perplexity = null);

/// <summary>
/// Turns a training thread's callbacks into the run's reports without ever making it wait: they are
/// posted to the run's <see cref="RunReports"/>, which the worker writes in order and keeps while the
/// database is away. Steps are throttled to one report per <c>every</c> (progress and one loss-curve
/// point, no event row); the run's last step and the step before each epoch's end always go through,
/// so a run that stops early still shows where it stopped.
/// </summary>
internal sealed class JobProgressReporter(JobContext context, TimeSpan every)
{
    private readonly LossWindow _lossWindow = new();
    private DateTime _lastStep = DateTime.MinValue;
    private StepReport? _unreported;

    /// <summary>After every optimiser step, on the training thread.</summary>
    public void Step(StepReport step)
    {
        _lossWindow.Add(step.Loss);
        _unreported = step;
        if (DateTime.UtcNow - _lastStep >= every || step.Step == step.TotalSteps)
            Post(step);
    }

    /// <summary>An event line; a pending step goes first so the step count is current when the line appears.</summary>
    public void Event(string type, string message, string? dataJson = null, bool flushStep = false)
    {
        if (flushStep)
            Flush();
        context.Reports.Post(new RunReport(DateTime.UtcNow, EventType: type, Message: message, DataJson: dataJson));
    }

    /// <summary>Writes the last step if the throttle held it back (call when the run ends).</summary>
    public void Flush()
    {
        if (_unreported is { } pending)
            Post(pending);
    }


    private void Post(StepReport step)
    {
        _unreported = null;
        _lastStep = DateTime.UtcNow;
        var progress = new JobProgressData(step.Step, step.TotalSteps, step.Epoch, step.Epochs)
        {
            Loss = step.Loss,
            LearningRate = step.LearningRate,
            SamplesPerSecond = step.SamplesPerSecond,
            EtaSeconds = step.EstimatedRemaining.TotalSeconds,
            Perplexity = step.Perplexity,
        };
        context.Reports.Post(new RunReport(DateTime.UtcNow, progress.ToJson(),
            LossPoint: _lossWindow.Take(step.Step, step.TotalSteps, step.LearningRate)));
    }
}
