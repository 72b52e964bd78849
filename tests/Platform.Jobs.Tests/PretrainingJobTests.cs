using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Jobs.Catalog;
using Platform.Jobs.Launch;
using Platform.Jobs.Pretraining;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>A pre-training job end to end: launch on a corpus dataset, a real worker process trains it, the result joins the tenant's catalog and fine-tunes.</summary>
public sealed class PretrainingJobTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("platform-pretrain-test-").FullName;
    private readonly WorkerProcesses _workers = new();
    private PostgresDatabase _database = null!;
    private IHost _host = null!;

    private string Storage => Path.Combine(_root, "store");

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = Storage,
            ["Data:Migrations"] = "Check",
        });
        builder.AddPlatformData();
        builder.AddJobPortal();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        _workers.Dispose();
        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<T> AsAsync<T>(TestTenant tenant, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenant.TenantId, tenant.UserId);
        return await action(scope.ServiceProvider);
    }

    private Task<Result<Guid>> LaunchAsync(TestTenant tenant, LaunchPretrainingRequest request) =>
        AsAsync(tenant, sp => sp.GetRequiredService<LaunchPretrainingCommand>().ExecuteAsync(request));

    private async Task<Guid> DatasetAsync(TestTenant tenant, DatasetKind kind, string content, bool lines)
    {
        var result = await AsAsync(tenant, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest(kind == DatasetKind.Corpus ? "mail" : "reviews", kind, new MemoryStream(Encoding.UTF8.GetBytes(content)), Lines: lines)));
        Assert.True(result.IsSuccess, result.Error);
        return result.Value.Id;
    }

    private static string Corpus() => string.Concat(Enumerable.Range(0, 60).Select(i =>
        $"order {i} arrived {(i % 2 == 0 ? "broken" : "late")}, the courier left it at door {i % 9}\n"));

    private async Task<string> WaitAsync(Guid job)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        string state;
        while ((state = await _database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{job}'")) is "Queued" or "Running")
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not finish in time");
            Assert.False(_workers.Last!.HasExited, "the worker exited");
            await Task.Delay(200);
        }
        return state;
    }

    [Fact]
    public async Task Execute_CorpusFromScratch_WorkerAddsPrivateBaseModelThatFineTunes()
    {
        var (_, owner) = await Seed.TenantAsync(_database);
        var (_, stranger) = await Seed.TenantAsync(_database);
        var corpus = await DatasetAsync(owner, DatasetKind.Corpus, Corpus(), lines: true);
        var launched = await LaunchAsync(owner, new LaunchPretrainingRequest(corpus, "mail-bert", Size: "mini", Preset: "fast",
            Epochs: 2, BatchSize: 8, MaxSequenceLength: 32, VocabularySize: 200));
        Assert.True(launched.IsSuccess, launched.Error);
        Assert.Equal("pretrain", await _database.ScalarAsync<string>($"SELECT kind FROM jobs WHERE id = '{launched.Value}'"));

        _workers.Start(_database.ConnectionString, _root, "pretrain-worker");

        Assert.Equal("Succeeded", await WaitAsync(launched.Value));
        var result = JsonDocument.Parse(await _database.ScalarAsync<string>($"SELECT result::text FROM jobs WHERE id = '{launched.Value}'")).RootElement;
        Assert.Equal("mail-bert", result.GetProperty("baseModel").GetString());
        Assert.True(result.GetProperty("perplexity").GetDouble() > 1);
        // Held-out perplexity per epoch, on the job's event log for the page's chart.
        Assert.Equal(2L, await _database.ScalarAsync<long>(
            $"SELECT count(*) FROM job_events WHERE job_id = '{launched.Value}' AND type = 'epoch' AND data ? 'validation_perplexity'"));

        var model = await AsAsync(owner, sp => sp.GetRequiredService<BaseModelCatalog>().FindAsync(owner.TenantId, "mail-bert"));
        Assert.NotNull(model);
        Assert.Equal((owner.TenantId, $"pretrain:{launched.Value}"), (model.TenantId, model.Source));
        Assert.Null(await AsAsync(stranger, sp => sp.GetRequiredService<BaseModelCatalog>().FindAsync(stranger.TenantId, "mail-bert")));

        // Then fine-tune: the new base model trains a classifier like any other, planned as pre-trained.
        var labelled = await DatasetAsync(owner, DatasetKind.Text,
            "text,label\n" + string.Concat(Enumerable.Range(0, 12).Select(i => $"order {i} arrived broken,complaint\nthanks for order {i},praise\n")), lines: false);
        var fineTune = await AsAsync(owner, sp => sp.GetRequiredService<LaunchJobCommand>().ExecuteAsync(
            new LaunchJobRequest(labelled, "mail-bert", "fast", Epochs: 1, BatchSize: 4)));
        Assert.True(fineTune.IsSuccess, fineTune.Error);
        Assert.Equal("Succeeded", await WaitAsync(fineTune.Value));
    }

    [Fact]
    public async Task Execute_SmallCorpusEachPreset_FastPlansFewestEpochsAndUnknownIsRefused()
    {
        var (_, owner) = await Seed.TenantAsync(_database);
        var corpus = await DatasetAsync(owner, DatasetKind.Corpus, Corpus(), lines: true);

        async Task<int> EpochsAsync(string? preset)
        {
            var launched = await LaunchAsync(owner, new LaunchPretrainingRequest(corpus, $"bert-{preset ?? "default"}", Size: "mini", Preset: preset!));
            Assert.True(launched.IsSuccess, launched.Error);
            var payload = JsonDocument.Parse(await _database.ScalarAsync<string>($"SELECT payload::text FROM jobs WHERE id = '{launched.Value}'"));
            return payload.RootElement.GetProperty("options").GetProperty("epochs").GetInt32();
        }

        // A corpus this small is one optimiser step an epoch: every preset's step budget asks for more
        // epochs than it may take, so each preset's own ceiling is what tells them apart.
        var (fast, balanced, best, unset) = (await EpochsAsync("fast"), await EpochsAsync("balanced"), await EpochsAsync("best"), await EpochsAsync(null));
        var unknown = await LaunchAsync(owner, new LaunchPretrainingRequest(corpus, "bert-quick", Preset: "quick"));

        Assert.Equal((30, 100, 200, balanced), (fast, balanced, best, unset));
        Assert.Equal(ResultStatus.BadRequest, unknown.Status);
        Assert.Equal("Unknown preset 'quick' (fast, balanced or best).", unknown.Error);
    }

    [Fact]
    public async Task Execute_NameTakenOrImageDataset_Refused()
    {
        var (_, owner) = await Seed.TenantAsync(_database);
        await _host.Services.GetRequiredService<BaseModelCatalog>().EnsureCnnPresetsAsync();
        var corpus = await DatasetAsync(owner, DatasetKind.Corpus, Corpus(), lines: true);

        var taken = await LaunchAsync(owner, new LaunchPretrainingRequest(corpus, "cnn-28-grey"));
        var unknownBase = await LaunchAsync(owner, new LaunchPretrainingRequest(corpus, "x-bert", BaseModel: "nope"));
        var cnnBase = await LaunchAsync(owner, new LaunchPretrainingRequest(corpus, "x-bert", BaseModel: "cnn-28-grey"));

        Assert.Equal(ResultStatus.Conflict, taken.Status);
        Assert.Equal(ResultStatus.BadRequest, unknownBase.Status);
        Assert.Equal(ResultStatus.BadRequest, cnnBase.Status);
        Assert.Equal(0L, await _database.ScalarAsync<long>("SELECT count(*) FROM jobs"));
    }
}
