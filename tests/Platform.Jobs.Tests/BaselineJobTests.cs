using System.IO.Compression;
using System.Text;
using System.Text.Json;
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
using Platform.Training.Baseline;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Jobs.Tests;

/// <summary>
/// Text jobs fit the linear baseline next to the fine-tuned model: a real worker in this process
/// (AddJobWorker), the real trainer and native library, the dataset's stored split, real PostgreSQL.
/// </summary>
public sealed class BaselineJobTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _root = Directory.CreateTempSubdirectory("platform-baseline-job-test-").FullName;
    private readonly List<IHost> _hosts = [];
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task TextJob_Succeeds_WithTheBaselineOfTheSameSplitInFolderResultEventsAndPlayground()
    {
        var portal = await StartHostAsync(worker: null);
        var (owner, jobId, datasetId) = await LaunchTextJobAsync(portal, epochs: 1);
        await StartHostAsync(worker: "baseline-worker");

        await WaitForStateAsync(jobId, "Succeeded");

        var model = (await AsOwnerAsync(portal, owner, sp => sp.GetRequiredService<ModelQueries>().GetAsync(jobId)))!;
        Assert.NotNull(model.Baseline);
        Assert.True(model.Stored);
        var files = (await portal.Services.GetRequiredService<StoredFolders>().ListAsync(owner.TenantId!.Value, model.Folder)).Select(f => f.Path).ToList();
        foreach (var file in new[] { "config.json", "model.safetensors", "metrics.json" })
            Assert.Contains("baseline/" + file, files);
        // The same validation rows: the dataset's stored split, label by label.
        var validationCount = await _database.ScalarAsync<int>($"SELECT validation_count FROM datasets WHERE id = '{datasetId}'");
        Assert.Equal(validationCount, model.Baseline.Evaluation.Count);
        Assert.Equal(model.Metrics.Evaluation.PerClass.Select(c => (c.Label, c.Support)), model.Baseline.Evaluation.PerClass.Select(c => (c.Label, c.Support)));
        Assert.Equal("validation", model.Baseline.Split);

        // The result carries the baseline's numbers and the verdict, so pages read them instead of recomputing.
        using var result = JsonDocument.Parse(await _database.ScalarAsync<string>($"SELECT result::text FROM jobs WHERE id = '{jobId}'"));
        var baseline = result.RootElement.GetProperty("baseline");
        Assert.Equal(model.Baseline.Evaluation.Accuracy, baseline.GetProperty("accuracy").GetDouble());
        Assert.Equal(model.Baseline.Evaluation.MacroF1, baseline.GetProperty("macroF1").GetDouble());
        Assert.Equal("baseline", baseline.GetProperty("directory").GetString());
        var expected = ResultAssessment.Assess(model.Metrics.Evaluation, model.Baseline.Evaluation, ModelKind.Bert);
        Assert.Equal(expected.Warning, result.RootElement.GetProperty("assessment").GetProperty("warning").GetBoolean());
        Assert.Equal(expected.Warnings.Select(w => w.Code), model.Assessment!.Warnings.Select(w => w.Code));

        // Events: the baseline as soon as it is fitted, then the result as a warning or as plain metrics.
        var events = await EventsAsync(jobId);
        var line = Assert.Single(events, e => e.Type == "baseline");
        Assert.StartsWith($"Baseline (TF-IDF + logistic regression): accuracy {model.Baseline.Evaluation.Accuracy:P1}", line.Message);
        Assert.Contains(events, e => e.Type == (expected.Warning ? "warning" : "metrics"));
        Assert.DoesNotContain(events, e => e.Type == (expected.Warning ? "metrics" : "warning"));
        Assert.True(events.FindIndex(e => e.Type == "baseline") < events.FindIndex(e => e.Type == "epoch"), "the baseline is reported before training");

        // The baseline classifies through the same queries as the model, and is in the download.
        var prediction = await AsOwnerAsync(portal, owner, sp => sp.GetRequiredService<ModelQueries>()
            .PredictTextAsync(jobId, "the parcel never arrived", ModelVariant.Baseline));
        Assert.Equal("shipping", Assert.Single(prediction!).Label);
        Assert.Equal(["config.json", "metrics.json", "model.safetensors"], await ZipEntriesAsync(portal, owner, model, ModelVariant.Baseline));
        var whole = await ZipEntriesAsync(portal, owner, model, ModelVariant.Model);
        Assert.Contains("baseline/model.safetensors", whole);
        Assert.Contains("vocab.txt", whole);
    }

    [Fact]
    public async Task TextJob_StoppedAfterACheckpointAndResumed_RefitsTheSameBaseline()
    {
        var portal = await StartHostAsync(worker: null);
        var (owner, jobId, _) = await LaunchTextJobAsync(portal, epochs: 12);
        var first = await StartHostAsync(worker: "first");
        await WaitForAsync(async () => await _database.ScalarAsync<long>(
            $"SELECT count(*) FROM job_events WHERE job_id = '{jobId}' AND type = 'checkpoint'") > 0);

        // A graceful stop (deploy, scale-in): the job goes back to the queue with its checkpoint.
        await first.StopAsync();
        _hosts.Remove(first);
        first.Dispose();
        Assert.Equal("Queued", await _database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{jobId}'"));
        await StartHostAsync(worker: "second");
        await WaitForStateAsync(jobId, "Succeeded");

        using var result = JsonDocument.Parse(await _database.ScalarAsync<string>($"SELECT result::text FROM jobs WHERE id = '{jobId}'"));
        Assert.True(result.RootElement.GetProperty("resumed").GetBoolean());
        var fits = (await EventsAsync(jobId)).Where(e => e.Type == "baseline")
            .Select(e => JsonSerializer.Deserialize<BaselineSummary>(e.Data!, Json)!).ToList();
        Assert.Equal(2, fits.Count);
        Assert.Equal(fits[0] with { Seconds = 0 }, fits[1] with { Seconds = 0 });
        var model = (await AsOwnerAsync(portal, owner, sp => sp.GetRequiredService<ModelQueries>().GetAsync(jobId)))!;
        Assert.Equal(fits[1].Accuracy, model.Baseline!.Evaluation.Accuracy);
        Assert.Equal(fits[1].Accuracy, result.RootElement.GetProperty("baseline").GetProperty("accuracy").GetDouble());
        var predicted = await AsOwnerAsync(portal, owner, sp => sp.GetRequiredService<ModelQueries>()
            .PredictTextAsync(jobId, "my invoice was charged twice", ModelVariant.Baseline));
        Assert.NotNull(predicted);
    }

    private async Task<IHost> StartHostAsync(string? worker)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = Path.Combine(_root, "store"),
            ["Data:Migrations"] = "Check",
            ["Training:WorkDirectory"] = Path.Combine(_root, "work"),
            ["Training:CheckpointEverySteps"] = "4",
            ["Training:ReportEvery"] = "00:00:00.100",
            ["Worker:Name"] = worker ?? "none",
            ["Worker:IdlePoll"] = "00:00:00.500",
        });
        builder.AddPlatformData();
        builder.AddJobPortal();
        if (worker is not null)
            builder.AddJobWorker();
        var host = builder.Build();
        await host.StartAsync();
        _hosts.Add(host);
        return host;
    }

    /// <summary>An owner's text dataset (three labels told apart by their words) and a job launched on it with the demo BERT.</summary>
    private async Task<(TestTenant Owner, Guid JobId, Guid DatasetId)> LaunchTextJobAsync(IHost host, int epochs)
    {
        await DemoBaseModels.EnsureAsync(host.Services.GetRequiredService<BaseModelCatalog>());
        var (_, owner) = await Seed.TenantAsync(_database);
        var csv = new StringBuilder("text,label\n");
        string[][] words = [["invoice", "refund", "charged"], ["parcel", "courier", "arrived"], ["crash", "login", "error"]];
        string[] labels = ["billing", "shipping", "technical"];
        for (var i = 0; i < 12; i++)
        {
            for (var l = 0; l < 3; l++)
                csv.Append($"my {words[l][i % 3]} and the {words[l][(i + 1) % 3]} {i},{labels[l]}\n");
        }

        var dataset = await AsOwnerAsync(host, owner, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest("Tickets", DatasetKind.Text, new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString())))));
        Assert.True(dataset.IsSuccess, dataset.Error);
        var launched = await AsOwnerAsync(host, owner, sp => sp.GetRequiredService<LaunchJobCommand>().ExecuteAsync(
            new LaunchJobRequest(dataset.Value.Id, DemoBaseModels.BertName, "fast", Epochs: epochs, BatchSize: 4, MaxSequenceLength: 48)));
        Assert.True(launched.IsSuccess, launched.Error);
        return (owner, launched.Value, dataset.Value.Id);
    }

    private static async Task<T> AsOwnerAsync<T>(IHost host, TestTenant owner, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(owner.TenantId, owner.UserId);
        return await action(scope.ServiceProvider);
    }

    private async Task<List<(string Type, string Message, string? Data)>> EventsAsync(Guid jobId)
    {
        await using var command = _database.DataSource.CreateCommand(
            $"SELECT type, message, data::text FROM job_events WHERE job_id = '{jobId}' ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<(string, string, string?)>();
        while (await reader.ReadAsync())
            events.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return events;
    }

    private static async Task<List<string>> ZipEntriesAsync(IHost host, TestTenant owner, ModelView model, ModelVariant variant)
    {
        using var zip = new MemoryStream();
        await AsOwnerAsync(host, owner, async sp =>
        {
            await sp.GetRequiredService<ModelQueries>().WriteZipAsync(model, zip, variant);
            return true;
        });
        zip.Position = 0;
        using var archive = new ZipArchive(zip);
        return archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).ToList();
    }

    private async Task WaitForStateAsync(Guid jobId, string state)
    {
        await WaitForAsync(async () =>
        {
            var current = await _database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{jobId}'");
            Assert.False(current is "Failed" or "Cancelled",
                $"the job ended {current}: {await _database.ScalarAsync<string>($"SELECT coalesce(error, '') FROM jobs WHERE id = '{jobId}'")}");
            return current == state;
        });
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within " + Patience);
            await Task.Delay(100);
        }
    }
}
