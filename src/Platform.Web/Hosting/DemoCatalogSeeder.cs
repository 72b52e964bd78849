using Platform.Jobs.Catalog;

namespace Platform.Web.Hosting;

/// <summary>
/// `--seed-demo`, second half: the CNN presets and the small random BERT, so a demo tenant can
/// launch a job at once. Idempotent like the login seed; the BERT is copied under the catalog root ({Storage:Root}/catalog).
/// </summary>
internal sealed class DemoCatalogSeeder(BaseModelCatalog catalog) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await DemoBaseModels.EnsureAsync(catalog, cancellationToken);
        Console.WriteLine($"Demo model catalog ready: {DemoBaseModels.BertName} and the CNN presets.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
