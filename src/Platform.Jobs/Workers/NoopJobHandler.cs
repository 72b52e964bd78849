namespace Platform.Jobs.Workers;

/// <summary>
/// A job that does nothing and succeeds: what the queue benchmark measures (claims per second,
/// enqueue-to-start latency) and what an operator submits to check that workers are alive.
/// </summary>
internal sealed class NoopJobHandler : IJobHandler
{
    public const string JobKind = "noop";

    public string Kind => JobKind;

    public Task<string?> RunAsync(JobContext context) => Task.FromResult<string?>(null);
}
