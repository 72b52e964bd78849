using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Workers;

/// <summary>
/// Holds one LISTEN connection for a worker. Notifications replace tight polling; after a lost
/// connection (PostgreSQL restarted) it reconnects with backoff and wakes the worker once, because
/// notifications sent while it was away are gone.
/// </summary>
internal sealed class QueueListener(NpgsqlDataSource dataSource, ILogger logger)
{
    public event Action? WorkAvailable;

    public event Action<Guid>? CancelRequested;

    public Task RunAsync(CancellationToken cancellationToken) =>
        new PostgresListener(dataSource, logger, "Queue listener", [QueueChannels.Work, QueueChannels.Cancel], OnNotification,
            () => WorkAvailable?.Invoke()).RunAsync(cancellationToken);

    private void OnNotification(string channel, string payload)
    {
        if (channel == QueueChannels.Work)
            WorkAvailable?.Invoke();
        else if (channel == QueueChannels.Cancel && Guid.TryParse(payload, out var jobId))
            CancelRequested?.Invoke(jobId);
    }
}
