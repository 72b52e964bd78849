using Platform.Jobs.Catalog;

namespace Platform.Web.Hosting;

/// <summary>
/// `--seed-demo`, second half: the CNN presets and the small random BERT, so a demo tenant can
/// launch a job at once. Idempotent like the login seed; the BERT is copied under {Storage:Root}/catalog.
/// </summary>
internal sealed class DemoCatalogSeeder(BaseModelCatalog catalog, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var storageRoot = configuration["Storage:Root"]
            ?? throw new InvalidOperationException("Storage:Root is not set: the demo catalog needs a place for its BERT.");
        await DemoBaseModels.EnsureAsync(catalog, Path.Combine(storageRoot, "catalog"), cancellationToken);
        Console.WriteLine($"Demo model catalog ready: {DemoBaseModels.BertName} and the CNN presets.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
