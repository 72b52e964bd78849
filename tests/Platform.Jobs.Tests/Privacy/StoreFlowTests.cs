using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;
using Platform.Jobs.Catalog;
using Platform.Jobs.Launch;
using Platform.Jobs.Models;
using Platform.Testing;

namespace Platform.Jobs.Tests.Privacy;

/// <summary>
/// Dataset upload, a training job on a real worker (the real trainer and native library) and the model,
/// on either artifact store. With S3 the portal and the worker have separate Storage:Root folders (only
/// scratch space): the dataset reaches the worker through the bucket alone.
/// </summary>
public sealed class StoreFlowTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly TempDirectory _root = new();
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<IHost> _hosts = [];
    private PostgresDatabase _database = null!;
    private S3StandIn? _s3;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
        await _database.DisposeAsync();
        if (_s3 is not null)
            await _s3.DisposeAsync();
        _root.Dispose();
    }

    /// <summary>A host; <paramref name="root"/> names its Storage:Root (one shared folder for the local store, one per host for S3).</summary>
    private async Task<IHost> StartHostAsync(string name, string root, bool worker, Dictionary<string, string?> store)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = Path.Combine(_root.Path, root),
            ["Storage:MasterKey"] = _masterKey,
            ["Data:Migrations"] = "Check",
            // Job folders and the catalog are still files every host sees (decision 0025).
            ["Training:WorkDirectory"] = Path.Combine(_root.Path, "work"),
            ["Catalog:Root"] = Path.Combine(_root.Path, "catalog"),
            ["Training:ReportEvery"] = "00:00:00.200",
            ["Worker:Name"] = name,
            ["Worker:IdlePoll"] = "00:00:00.500",
        });
        builder.Configuration.AddInMemoryCollection(store);
        builder.AddPlatformData();
        builder.AddJobPortal();
        if (worker)
            builder.AddJobWorker();
        var host = builder.Build();
        await host.StartAsync();
        _hosts.Add(host);
        return host;
    }

    [Theory]
    [InlineData("Local")]
    [InlineData("S3")]
    public async Task DatasetJobModel_OnEitherStore_JobSucceedsWithAModel(string provider)
    {
        var store = new Dictionary<string, string?>();
        if (provider == "S3")
        {
            _s3 = await S3StandIn.StartAsync();
            store = _s3.Settings();
        }
        var portal = await StartHostAsync("web", provider == "S3" ? "web" : "shared", worker: false, store);
        await DemoBaseModels.EnsureAsync(portal.Services.GetRequiredService<BaseModelCatalog>());
        var (tenant, owner) = await Seed.TenantAsync(_database);
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 12; i++)
            csv.Append($"my invoice was charged twice {i},billing\nthe courier lost my parcel {i},shipping\n");
        Guid jobId;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(owner.TenantId, owner.UserId);
            var dataset = await scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
                new CreateDatasetRequest("Tickets", DatasetKind.Text, new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString()))));
            Assert.True(dataset.IsSuccess, dataset.Error);
            var launched = await scope.ServiceProvider.GetRequiredService<LaunchJobCommand>().ExecuteAsync(
                new LaunchJobRequest(dataset.Value.Id, DemoBaseModels.BertName, "fast", Epochs: 1, BatchSize: 4, MaxSequenceLength: 32));
            Assert.True(launched.IsSuccess, launched.Error);
            jobId = launched.Value;
        }

        await StartHostAsync("worker", provider == "S3" ? "worker" : "shared", worker: true, store);
        var deadline = DateTime.UtcNow + Patience;
        string state;
        while ((state = await _database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{jobId}'")) is "Queued" or "Running")
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not finish within " + Patience);
            await Task.Delay(200);
        }

        Assert.True(state == "Succeeded", await _database.ScalarAsync<string>($"SELECT coalesce(error, state) FROM jobs WHERE id = '{jobId}'"));
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(owner.TenantId, owner.UserId);
            var model = await scope.ServiceProvider.GetRequiredService<ModelQueries>().GetAsync(jobId);
            Assert.NotNull(model);
            Assert.True(model.Metrics.Evaluation.Count > 0);
        }
        var stored = await portal.Services.GetRequiredService<IArtifactStore>().ListAsync(tenant.Id).ToListAsync();
        Assert.NotEmpty(stored);
        // With S3 no host keeps a tenant directory: the bucket holds the dataset.
        var local = new[] { "web", "worker", "shared" }.Select(h => Path.Combine(_root.Path, h, "tenants", tenant.Id.ToString("N"))).Count(Directory.Exists);
        Assert.Equal(provider == "S3" ? 0 : 1, local);
    }
}
