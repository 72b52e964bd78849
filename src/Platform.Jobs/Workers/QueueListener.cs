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

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand(
                    $"LISTEN {QueueChannels.Work}; LISTEN {QueueChannels.Cancel};", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                backoff = TimeSpan.FromMilliseconds(250);
                WorkAvailable?.Invoke();
                while (true)
                    await connection.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                logger.LogWarning("Queue listener lost its connection ({Message}); reconnecting in {Delay}",
                    ex.Message, backoff);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == QueueChannels.Work)
            WorkAvailable?.Invoke();
        else if (e.Channel == QueueChannels.Cancel && Guid.TryParse(e.Payload, out var jobId))
            CancelRequested?.Invoke(jobId);
    }
}
