using System.IO.Compression;
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
using Platform.Jobs.Training;
using Platform.Testing;
using Platform.Training.SafeTensors;

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
            // Only where installs before the store kept job folders: nothing may be written there now.
            ["Training:WorkDirectory"] = Path.Combine(_root.Path, "work"),
            // Each host's own: imports' work folders and the cache of base models fetched (decrypted) from the store.
            ["Catalog:Root"] = Path.Combine(_root.Path, "catalog-" + root),
            ["Training:ReportEvery"] = "00:00:00.200",
            ["Training:CheckpointEverySteps"] = "3",
            ["Worker:Name"] = name,
            ["Worker:IdlePoll"] = "00:00:00.500",
            ["Worker:SpoolDirectory"] = Path.Combine(_root.Path, "spool-" + name),
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

    /// <summary>
    /// The whole flow on one store: a dataset, a private base model of the tenant (in its store: the bucket with
    /// S3, which the workers fetch it from), a job from it that checkpoints on one worker, which stops (its job
    /// released), resumed by a second worker (with S3, on a machine of its own: no folder is shared), then the
    /// model's page, playground and Hugging Face download. Nothing on any disk (store, scratch, spools, the
    /// bucket's objects) holds the trained classifier's weights, a checkpoint's tensors, the vocabulary or the base
    /// model's config in the clear, but the hosts' caches of fetched base models.
    /// </summary>
    [Theory]
    [InlineData("Local")]
    [InlineData("S3")]
    public async Task DatasetJobResumeModelDownload_OnEitherStore_ResumesOnAnotherWorkerAndNothingIsPlainOnDisk(string provider)
    {
        var store = new Dictionary<string, string?>();
        if (provider == "S3")
        {
            _s3 = await S3StandIn.StartAsync();
            store = _s3.Settings();
        }
        var s3 = provider == "S3";
        var portal = await StartHostAsync("web", s3 ? "web" : "shared", worker: false, store);
        var catalog = portal.Services.GetRequiredService<BaseModelCatalog>();
        await DemoBaseModels.EnsureAsync(catalog);
        var (tenant, owner) = await Seed.TenantAsync(_database);
        // The tenant's own base model (as a pre-training job or an import registers one), from the demo BERT's files.
        var demo = await portal.Services.GetRequiredService<BaseModelFiles>().LocalFolderAsync((await catalog.FindAsync(null, DemoBaseModels.BertName))!);
        var baseConfig = await File.ReadAllBytesAsync(Path.Combine(demo, "config.json"));
        var registered = await catalog.RegisterTextModelFolderAsync(new TextModelRegistration(tenant.Id, "our-bert", demo, "ours", "upload"));
        Assert.True(registered.IsSuccess, registered.Error);
        Assert.Equal(tenant.Id, registered.Value.Stored!.Owner);
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 40; i++)
            csv.Append($"my invoice was charged twice {i},billing\nthe courier lost my parcel {i},shipping\n");
        Guid jobId;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(owner.TenantId, owner.UserId);
            var dataset = await scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
                new CreateDatasetRequest("Tickets", DatasetKind.Text, new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString()))));
            Assert.True(dataset.IsSuccess, dataset.Error);
            var launched = await scope.ServiceProvider.GetRequiredService<LaunchJobCommand>().ExecuteAsync(
                new LaunchJobRequest(dataset.Value.Id, "our-bert", "fast", Epochs: 4, BatchSize: 4, MaxSequenceLength: 32));
            Assert.True(launched.IsSuccess, launched.Error);
            jobId = launched.Value;
        }

        // The first worker publishes a checkpoint, then stops: its job is released with its resume point.
        var first = await StartHostAsync("first", s3 ? "first" : "shared", worker: true, store);
        await WaitAsync(async () => await _database.ScalarAsync<long>(
            $"SELECT count(*) FROM jobs WHERE id = '{jobId}' AND checkpoint_step IS NOT NULL") > 0, "a published checkpoint");
        await first.StopAsync();
        Assert.Equal("Queued", await _database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{jobId}'"));

        await StartHostAsync("second", s3 ? "second" : "shared", worker: true, store);
        await WaitAsync(async () => await _database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{jobId}'") is not ("Queued" or "Running"),
            "the job to finish");
        Assert.Equal("Succeeded", await _database.ScalarAsync<string>($"SELECT coalesce(error, state) FROM jobs WHERE id = '{jobId}'"));
        Assert.Equal("true", await _database.ScalarAsync<string>($"SELECT result->>'resumed' FROM jobs WHERE id = '{jobId}'"));
        Assert.Equal(1L, await _database.ScalarAsync<long>(
            $"SELECT count(*) FROM job_events WHERE job_id = '{jobId}' AND type = 'log' AND message LIKE 'resumed from%'"));

        byte[] weights, vocab;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(owner.TenantId, owner.UserId);
            var models = scope.ServiceProvider.GetRequiredService<ModelQueries>();
            var model = await models.GetAsync(jobId);
            Assert.NotNull(model);
            Assert.True(model.Metrics.Evaluation.Count > 0);
            Assert.Equal("bert", model.Kind);
            var prediction = await models.PredictTextAsync(jobId, "the courier lost my parcel again");
            Assert.Contains(Assert.Single(prediction!).Label, new[] { "billing", "shipping" });
            using var zip = new MemoryStream();
            await models.WriteZipAsync(model, zip);
            zip.Position = 0;
            using var archive = new ZipArchive(zip);
            Assert.Equal(["baseline/config.json", "baseline/metrics.json", "baseline/model.safetensors", "config.json", "metrics.json",
                "model.int8.onnx", "model.onnx", "model.safetensors", "serving.json", "tokenizer_config.json", "vocab.txt"], archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
            weights = SafeTensorsFile.Parse(Read(archive, "model.safetensors"))["classifier.weight"].Data.ToArray();
            vocab = Read(archive, "vocab.txt")[..256];
        }

        // The resume point stays until retention: its tensors are stored encrypted as well.
        var stored = portal.Services.GetRequiredService<StoredFolders>();
        var checkpoint = Assert.Single(await stored.FoldersAsync(tenant.Id, JobFolders.Runs(jobId)).ToListAsync(), JobFolders.IsCheckpoint);
        byte[] checkpointTensor;
        using (var download = new TempDirectory())
        {
            Assert.True(await stored.DownloadAsync(tenant.Id, checkpoint, Path.Combine(download.Path, "c")));
            var file = Directory.EnumerateFiles(Path.Combine(download.Path, "c"), "*.safetensors", SearchOption.AllDirectories).First();
            checkpointTensor = SafeTensorsFile.Read(file).Tensors.OrderByDescending(t => t.Data.Length).First().Data[..4096].ToArray();
        }

        // The workers' run folders (their local copies) go when their runs end.
        await WaitAsync(() => Task.FromResult(!Directory.EnumerateFiles(_root.Path, "*.safetensors", SearchOption.AllDirectories)
            .Any(f => !f.StartsWith(Path.Combine(_root.Path, "catalog-"), StringComparison.Ordinal))), "the runs' local folders to go");
        Assert.False(Directory.Exists(Path.Combine(_root.Path, "work")));
        var disks = new List<string> { _root.Path };
        if (_s3 is not null)
            disks.Add(_s3.DataDirectory);
        var scanned = 0;
        foreach (var file in disks.SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)))
        {
            // A running worker holds its spool's lock file (empty) exclusively.
            // The catalog folders hold the hosts' caches of decrypted base models (a worker's local working copy).
            if (file.StartsWith(Path.Combine(_root.Path, "catalog-"), StringComparison.Ordinal) || Path.GetFileName(file) == ".lock")
                continue;
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file);
            }
            catch (FileNotFoundException)
            {
                continue; // a scratch file that went while the scan ran
            }
            Assert.True(bytes.AsSpan().IndexOf(weights) < 0, $"{file} holds the trained classifier's weights in the clear");
            Assert.True(bytes.AsSpan().IndexOf(checkpointTensor) < 0, $"{file} holds a checkpoint tensor in the clear");
            Assert.True(bytes.AsSpan().IndexOf(vocab) < 0, $"{file} holds the vocabulary in the clear");
            Assert.True(bytes.AsSpan().IndexOf(baseConfig) < 0, $"{file} holds the base model's config.json in the clear");
            scanned++;
        }
        Assert.True(scanned > 10, $"only {scanned} files scanned");
        // Each worker that ran the job fetched the private base model from the store into its own cache.
        foreach (var host in s3 ? new[] { "first", "second" } : ["shared"])
            Assert.Single(Directory.GetDirectories(Path.Combine(_root.Path, "catalog-" + host, "cache"), $"{tenant.Id:N}-*"));
        // With S3 no host keeps a tenant directory: the bucket holds the dataset, the checkpoint and the model.
        var local = new[] { "web", "first", "second", "shared" }.Select(h => Path.Combine(_root.Path, h, "tenants", tenant.Id.ToString("N"))).Count(Directory.Exists);
        Assert.Equal(s3 ? 0 : 1, local);
    }

    private static byte[] Read(ZipArchive archive, string name)
    {
        using var entry = archive.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        entry.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static async Task WaitAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Patience} for {what}");
            await Task.Delay(200);
        }
    }
}
