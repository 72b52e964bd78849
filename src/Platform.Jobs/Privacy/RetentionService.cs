using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Jobs.Privacy;

/// <summary>
/// Runs <see cref="RetentionSweep"/> every Retention:Interval, the way the billing scheduler runs its
/// ticks: in each web instance, one at a time across instances under a PostgreSQL advisory lock, a
/// failure logged and retried next time.
/// </summary>
internal sealed class RetentionService(RetentionSweep sweep, NpgsqlDataSource dataSource, TimeProvider clock,
    IOptions<RetentionOptions> options, ILogger<RetentionService> logger) : BackgroundService
{
    private const string LockName = "platform-retention-sweep";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        await Task.Yield();
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        try
        {
            do
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    if (!await LockAsync(connection, "pg_try_advisory_lock", stoppingToken))
                        continue;
                    try
                    {
                        await sweep.RunAsync(stoppingToken);
                    }
                    finally
                    {
                        await LockAsync(connection, "pg_advisory_unlock", CancellationToken.None);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Retention sweep failed");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(hashtextextended($1, 0))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = LockName });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
