using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Jobs.Catalog.Imports;

/// <summary>
/// Runs in each web instance (Catalog:ImportsEnabled): claims one import at a time from
/// base_model_imports and carries it through. Queued imports start at once when queued here
/// (<see cref="BaseModelImportSignal"/>), otherwise at the next poll; an import an instance left
/// behind (crash, restart) is claimed again when its lease has run out and resumes from its files.
/// </summary>
internal sealed class BaseModelImportService(
    BaseModelImportStore store,
    BaseModelImportProcessor processor,
    BaseModelImportSignal signal,
    IOptions<ModelCatalogOptions> options,
    ILogger<BaseModelImportService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var import = await store.ClaimAsync(options.Value.ImportLease, stoppingToken);
                if (import is not null)
                {
                    logger.LogInformation("Import {ImportId} ({Name}) claimed, attempt {Attempt}", import.Id, import.Name, import.Attempts);
                    await processor.ProcessAsync(import, stoppingToken);
                    continue;
                }
                await signal.WaitAsync(options.Value.ImportPollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException ex)
            {
                logger.LogWarning(ex, "Model imports: the database is unavailable; trying again");
                try
                {
                    await Task.Delay(options.Value.ImportPollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
