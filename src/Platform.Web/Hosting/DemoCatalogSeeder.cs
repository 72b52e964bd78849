using Microsoft.Extensions.Options;
using Platform.Jobs.Catalog;

namespace Platform.Web.Hosting;

/// <summary>
/// `--seed-demo`, second half: the CNN presets and the small random BERT, so a demo tenant can
/// launch a job at once. Idempotent like the login seed; the BERT is copied under the catalog root ({Storage:Root}/catalog).
/// </summary>
internal sealed class DemoCatalogSeeder(BaseModelCatalog catalog, IOptions<DemoSeedOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The demo BERT's vocabulary is learnt from the installed fortunes when they are there.
        await DemoBaseModels.EnsureAsync(catalog, options.Value.FortunesDirectory, cancellationToken);
        Console.WriteLine($"Demo model catalog ready: {DemoBaseModels.BertName} and the CNN presets.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
