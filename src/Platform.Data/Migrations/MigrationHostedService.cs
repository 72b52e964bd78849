using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Data.Migrations;

/// <summary>
/// Migrates (or checks) before the host starts serving: it runs in StartAsync, which the host awaits
/// before starting the web server, so no request meets an old schema. A database that cannot be
/// reached yet (still starting, restarting) is waited for: a worker started during an outage comes up
/// when the database does instead of exiting.
/// </summary>
internal sealed class MigrationHostedService(SqlMigrator migrator, IOptions<DataOptions> options, ILogger<MigrationHostedService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await RunAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (DatabaseAvailability.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Waiting for the database ({Message}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        switch (options.Value.Migrations)
        {
            case MigrationMode.Apply:
                var applied = await migrator.MigrateAsync(cancellationToken);
                logger.LogInformation("Database schema up to date ({Count} migrations applied now)", applied.AppliedNow.Count);
                break;
            case MigrationMode.Check:
                var report = await migrator.CheckAsync(cancellationToken);
                if (!report.IsUpToDate)
                {
                    throw new MigrationException(report.Pending[0],
                        $"The database is not migrated: pending {string.Join(", ", report.Pending)}. Run `./platform migrate` or start the web host first.");
                }
                break;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
