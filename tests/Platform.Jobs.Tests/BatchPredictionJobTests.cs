using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Jobs.Launch;
using Platform.Jobs.Portal;
using Platform.Jobs.Predictions;
using Platform.Testing;
using Platform.Training.Torch.Vision;

namespace Platform.Jobs.Tests;

/// <summary>
/// Batch prediction end to end: a real worker process trains an image (or tabular) model, then classifies an
/// uploaded ZIP (or CSV) as a job of its own (metered like training) into a downloadable CSV; a queued batch
/// is cancellable; a file the model cannot read is refused at launch, or failed at once by the worker.
/// </summary>
public sealed class BatchPredictionJobTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("platform-batch-test-").FullName;
    private readonly WorkerProcesses _workers = new();
    private PostgresDatabase _database = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = Path.Combine(_root, "store"),
            ["Data:Migrations"] = "Check",
        });
        builder.AddPlatformData();
        builder.AddJobPortal();
        _host = builder.Build();
        await _host.StartAsync();
        await _host.Services.GetRequiredService<Platform.Jobs.Catalog.BaseModelCatalog>().EnsureCnnPresetsAsync();
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

    /// <summary>A 28x28 grey PNG of one brightness with a little noise.</summary>
    private static byte[] Png(int level, Random random) =>
        PngWriter.Encode(Enumerable.Range(0, 28 * 28).Select(_ => (byte)Math.Clamp(level + random.Next(-30, 30), 0, 255)).ToArray(), 28, 28, 1);

    private static byte[] Zip(IEnumerable<(string Name, byte[] Bytes)> files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in files)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(bytes);
            }
        }
        return buffer.ToArray();
    }

    private async Task<List<string[]>> ResultRowsAsync(TestTenant tenant, Guid batch)
    {
        var opened = await AsAsync(tenant, sp => sp.GetRequiredService<BatchPredictionQueries>().OpenResultAsync(batch));
        Assert.True(opened.IsSuccess, opened.Error);
        var path = Path.Combine(_root, $"result-{batch:N}.csv");
        await using (opened.Value)
        await using (var file = File.Create(path))
            await opened.Value.CopyToAsync(file);
        using var csv = Platform.Training.Data.CsvReader.Open(path);
        var rows = new List<string[]>();
        while (csv.ReadRecord() is { } record)
            rows.Add(record);
        return rows;
    }

    private Task<Result<Guid>> LaunchBatchAsync(TestTenant tenant, Guid model, string fileName, byte[] content) =>
        AsAsync(tenant, sp => sp.GetRequiredService<LaunchBatchPredictionCommand>().ExecuteAsync(model, fileName, new MemoryStream(content)));

    [Fact]
    public async Task BatchPrediction_ZipOfImages_WorkerWritesMeteredResultCsvAndAQueuedBatchCancels()
    {
        var (_, owner) = await Seed.TenantAsync(_database);
        var (_, stranger) = await Seed.TenantAsync(_database);
        var random = new Random(7);
        var training = Zip(Enumerable.Range(0, 16).SelectMany(i => new[] { ($"bright/{i:D2}.png", Png(200, random)), ($"dark/{i:D2}.png", Png(50, random)) }));
        var dataset = await AsAsync(owner, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest("shades", DatasetKind.Image, new MemoryStream(training))));
        Assert.True(dataset.IsSuccess, dataset.Error);
        var trainingJob = await AsAsync(owner, sp => sp.GetRequiredService<LaunchJobCommand>().ExecuteAsync(
            new LaunchJobRequest(dataset.Value.Id, "cnn-28-grey", "fast", Epochs: 4, BatchSize: 8)));
        Assert.True(trainingJob.IsSuccess, trainingJob.Error);

        // A job that has not succeeded has no model to predict with.
        Assert.Equal(ResultStatus.NotFound, (await LaunchBatchAsync(owner, trainingJob.Value, "a.zip", Zip([("a.png", Png(200, random))]))).Status);

        _workers.Start(_database.ConnectionString, _root, "batch-worker");
        Assert.Equal("Succeeded", await WaitAsync(trainingJob.Value));

        // Refused at once, with the reason: the wrong format, a ZIP without images, another organisation's model.
        Assert.Equal(ResultStatus.BadRequest, (await LaunchBatchAsync(owner, trainingJob.Value, "rows.csv", "text\nhello\n"u8.ToArray())).Status);
        var empty = await LaunchBatchAsync(owner, trainingJob.Value, "notes.zip", Zip([("readme.txt", "hi"u8.ToArray())]));
        Assert.Equal(ResultStatus.BadRequest, empty.Status);
        Assert.Contains("no PNG or JPEG", empty.Error);
        Assert.Equal(ResultStatus.NotFound, (await LaunchBatchAsync(stranger, trainingJob.Value, "a.zip", Zip([("a.png", Png(200, random))]))).Status);

        // One file name a spreadsheet would take for a formula: the result names it as text (CsvCells).
        var batch = Zip(Enumerable.Range(0, 5).SelectMany(i => new[] { ($"in/light-{i}.png", Png(210, random)), ($"in/shade-{i}.png", Png(40, random)) })
            .Append(("-1+1.png", Png(210, random))));
        var launched = await LaunchBatchAsync(owner, trainingJob.Value, "new photos.zip", batch);
        Assert.True(launched.IsSuccess, launched.Error);
        Assert.Equal("Succeeded", await WaitAsync(launched.Value));

        var opened = await AsAsync(owner, sp => sp.GetRequiredService<BatchPredictionQueries>().OpenResultAsync(launched.Value));
        Assert.True(opened.IsSuccess, opened.Error);
        string[] lines;
        using (var reader = new StreamReader(opened.Value, Encoding.UTF8))
            lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,predicted_label,score_bright,score_dark", lines[0]);
        var rows = lines[1..].Select(l => l.Split(',')).ToDictionary(r => r[0]);
        Assert.Equal(11, rows.Count);
        Assert.Equal("bright", rows["'-1+1.png"][1]);
        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal("bright", rows[$"in/light-{i}.png"][1]));
        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal("dark", rows[$"in/shade-{i}.png"][1]));
        Assert.All(rows.Values, r => Assert.Equal(1.0, double.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture)
            + double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture), 4));
        // Metered like training: the worker recorded the batch job's device time.
        Assert.True(await _database.ScalarAsync<long>($"SELECT count(*) FROM usage_segments WHERE job_id = '{launched.Value}'") > 0);
        // The model page's list, and nothing for another organisation.
        var listed = await AsAsync(owner, sp => sp.GetRequiredService<BatchPredictionQueries>().ListForModelAsync(trainingJob.Value));
        Assert.Equal((launched.Value, "Succeeded", 11), (listed[0].JobId, listed[0].State, listed[0].Rows));
        Assert.Equal(ResultStatus.NotFound,
            (await AsAsync(stranger, sp => sp.GetRequiredService<BatchPredictionQueries>().OpenResultAsync(launched.Value))).Status);

        // A batch is a job like any other: cancelled while queued, it never runs and has no result.
        _workers.Dispose();
        var queued = await LaunchBatchAsync(owner, trainingJob.Value, "more.zip", batch);
        Assert.True(queued.IsSuccess, queued.Error);
        var cancelled = await AsAsync(owner, sp => sp.GetRequiredService<CancelJobCommand>().ExecuteAsync(queued.Value));
        Assert.True(cancelled.IsSuccess, cancelled.Error);
        Assert.Equal("Cancelled", await _database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{queued.Value}'"));
        Assert.Equal(ResultStatus.Conflict,
            (await AsAsync(owner, sp => sp.GetRequiredService<BatchPredictionQueries>().OpenResultAsync(queued.Value))).Status);
    }

    [Fact]
    public async Task BatchPrediction_TableWithIdAndOtherColumnsInAnotherOrder_CarriedThroughAndInputErrorsFailAtOnce()
    {
        var (tenant, owner) = await Seed.TenantAsync(_database);
        var csv = Path.Combine(_root, "churn.csv");
        Platform.Training.Tests.Common.TestData.WriteChurnCsv(csv, 300);
        Result<Dataset> dataset;
        await using (var content = File.OpenRead(csv))
            dataset = await AsAsync(owner, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
                new CreateDatasetRequest("Churn", DatasetKind.Tabular, content, LabelColumn: "churn", ExcludedColumns: ["customer_id"])));
        Assert.True(dataset.IsSuccess, dataset.Error);
        var trainingJob = await AsAsync(owner, sp => sp.GetRequiredService<LaunchJobCommand>().ExecuteAsync(
            new LaunchJobRequest(dataset.Value.Id, "tabular-mlp", "fast", Epochs: 30)));
        Assert.True(trainingJob.IsSuccess, trainingJob.Error);
        _workers.Start(_database.ConnectionString, _root, "tabular-batch-worker");
        Assert.Equal("Succeeded", await WaitAsync(trainingJob.Value));

        // Refused at launch, with what to fix: a column the model reads is missing; a cell it cannot read, with its line.
        var missing = await LaunchBatchAsync(owner, trainingJob.Value, "customers.csv", "id,monthly_charges,contract\nA,118,month-to-month\n"u8.ToArray());
        Assert.Equal(ResultStatus.BadRequest, missing.Status);
        Assert.StartsWith("The file cannot be classified: missing column 'tenure' (the model reads tenure, monthly_charges, contract;", missing.Error);
        var unreadable = await LaunchBatchAsync(owner, trainingJob.Value, "customers.csv",
            "id,tenure,monthly_charges,contract\nA,1,118,month-to-month\nB,soon,20,two-year\n"u8.ToArray());
        Assert.Equal(ResultStatus.BadRequest, unreadable.Status);
        Assert.Equal("The file cannot be classified: line 3: column 'tenure' is numeric; 'soon' is not a number", unreadable.Error);

        // The model's columns in another order, an id and columns it never saw (the target among them): matched
        // by name, and the others come through to the result after its own columns, so its rows join back.
        var launched = await LaunchBatchAsync(owner, trainingJob.Value, "customers.csv", Encoding.UTF8.GetBytes(
            "contract,note,monthly_charges,id,tenure,churn\nmonth-to-month,call back,118,C-1,1,\ntwo-year,\"loyal, since 2019\",20,C-2,70,no\n"));
        Assert.True(launched.IsSuccess, launched.Error);
        Assert.Equal("Succeeded", await WaitAsync(launched.Value));
        var rows = await ResultRowsAsync(owner, launched.Value);
        Assert.Equal(["id", "predicted_label", "score_no", "score_yes", "note", "churn"], rows[0]);
        Assert.Equal(["C-1", "yes", "call back", ""], new[] { rows[1][0], rows[1][1], rows[1][4], rows[1][5] });
        Assert.Equal(["C-2", "no", "loyal, since 2019", "no"], new[] { rows[2][0], rows[2][1], rows[2][4], rows[2][5] });
        Assert.Equal(3, rows.Count);

        // The same reading runs in the job: a file it cannot read there (here one replaced in the store after the
        // launch) fails the job at once, on its first attempt, with the launch's message, and is never retried.
        _workers.Dispose();
        var queued = await LaunchBatchAsync(owner, trainingJob.Value, "later.csv", "id,tenure,monthly_charges,contract\nA,1,118,month-to-month\n"u8.ToArray());
        Assert.True(queued.IsSuccess, queued.Error);
        await _host.Services.GetRequiredService<Platform.Data.Artifacts.StoredFolders>().PutFileAsync(tenant.Id, $"jobs/{queued.Value:N}/input", "input.csv",
            new MemoryStream("id,monthly_charges,contract\nA,118,month-to-month\n"u8.ToArray()));
        _workers.Start(_database.ConnectionString, _root, "tabular-batch-worker-2");
        Assert.Equal("Failed", await WaitAsync(queued.Value));
        Assert.Equal(1, await _database.ScalarAsync<int>($"SELECT attempt FROM jobs WHERE id = '{queued.Value}'"));
        Assert.Contains("The file cannot be classified: missing column 'tenure'",
            await _database.ScalarAsync<string>($"SELECT error FROM jobs WHERE id = '{queued.Value}'"));
        Assert.Equal(0, await _database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = '{queued.Value}' AND type IN ('requeued', 'interrupted')"));
    }
}
