using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Data;

namespace Platform.Jobs;

/// <summary>
/// The shell every move of pre-store folders into the artifact store shares: it runs in the background of
/// the host that applies database migrations (the web host), once per start, so only one host moves at a
/// time; a failure is logged and the next start tries again, since the folders stay readable where they
/// are until moved. Each migration is idempotent (it asks the database what is left), so once nothing is
/// left a start costs one query.
/// </summary>
internal abstract class LegacyFolderMigration(IOptions<DataOptions> data, ILogger logger) : BackgroundService
{
    protected ILogger Logger { get; } = logger;

    /// <summary>What it moves, for the log: "model folder(s)".</summary>
    protected abstract string Moves { get; }

    /// <summary>Moves what is left to move; returns how many it moved.</summary>
    public abstract Task<int> MigrateAsync(CancellationToken cancellationToken = default);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (data.Value.Migrations != MigrationMode.Apply)
            return;
        try
        {
            var moved = await MigrateAsync(stoppingToken);
            if (moved > 0)
                Logger.LogInformation("Moved {Count} {What} of an earlier version into the artifact store", moved, Moves);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Logger.LogError(e, "Moving {What} into the artifact store failed", Moves);
        }
    }
}
