using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Jobs.Queue;

/// <summary>
/// The one LISTEN loop: holds a connection listening on <paramref name="channels"/>, hands each
/// notification to <paramref name="notified"/>, and after a lost connection (PostgreSQL restarted,
/// a network fault) reconnects with back-off from 250 ms to 5 s. Notifications sent while it was away
/// are gone, so <paramref name="listening"/> runs each time it is listening again: callers re-read
/// what they watch there.
/// </summary>
internal sealed class PostgresListener(NpgsqlDataSource dataSource, ILogger logger, string name, IReadOnlyList<string> channels,
    Action<string, string> notified, Action listening)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(5);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = FirstRetry;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) => notified(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand(string.Concat(channels.Select(c => $"LISTEN {c};")), connection))
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                backoff = FirstRetry;
                listening();
                while (true)
                    await connection.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                logger.LogWarning("{Listener} lost its connection ({Message}); reconnecting in {Delay}", name, ex.Message, backoff);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LastRetry.Ticks));
            }
        }
    }
}
