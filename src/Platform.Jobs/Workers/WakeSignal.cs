namespace Platform.Jobs.Workers;

/// <summary>An auto-reset signal: many Set calls before a wait collapse into one wake-up.</summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _source = NewSource();

    public void Set() => Volatile.Read(ref _source).TrySetResult();

    /// <summary>Waits for a Set (or the timeout), then re-arms.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = Volatile.Read(ref _source);
        try
        {
            await source.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
        Interlocked.CompareExchange(ref _source, NewSource(), source);
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
