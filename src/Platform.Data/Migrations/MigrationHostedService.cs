using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Data.Migrations;

/// <summary>
/// Migrates (or checks) before the host starts serving: it runs in StartAsync, which the host awaits
/// before starting the web server, so no request meets an old schema.
/// </summary>
internal sealed class MigrationHostedService(SqlMigrator migrator, IOptions<DataOptions> options, ILogger<MigrationHostedService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
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
