namespace Platform.Jobs.Catalog.Imports;

/// <summary>
/// Wakes this instance's import service when an import is queued here, so it starts at once instead
/// of at its next poll (imports queued by other instances are found by the poll).
/// </summary>
public sealed class BaseModelImportSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up claims everything that is waiting.
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await _signal.WaitAsync(timeout, cancellationToken);
}
