using Npgsql;
using Platform.Jobs.Predictions;
using Platform.Jobs.Training;
using Platform.Jobs.Workers;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>
/// The typed progress and result records against rows in PostgreSQL: rows written in the old shape (the
/// anonymous objects of earlier versions, as stored) read back, and what the records write keeps the
/// names the SQL readers ask for.
/// </summary>
public sealed class JobRecordsTests : IAsyncLifetime
{
    private PostgresDatabase _database = null!;
    private Guid _tenantId;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _tenantId = (await Seed.TenantAsync(_database)).Tenant.Id;
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Parse_RowsWrittenInTheOldShape_ReadEveryField()
    {
        var model = Guid.NewGuid();
        var training = await InsertAsync("train", "Running",
            """{"step": 40, "totalSteps": 100, "epoch": 2, "epochs": 3, "loss": 0.52, "learningRate": 0.0001, "samplesPerSecond": 31.5, "etaSeconds": 12.25}""",
            null);
        var pretraining = await InsertAsync("pretrain", "Running",
            """{"step": 5, "totalSteps": 50, "epoch": 1, "epochs": 2, "loss": 4.1, "learningRate": 0.001, "samplesPerSecond": 8, "etaSeconds": 60, "perplexity": 61.2}""",
            """{"baseModel": "my-bert", "baseModelId": "6f1c2e1a-0000-0000-0000-000000000001", "parameters": 1000, "perplexity": 20.5, "maskedAccuracy": 0.3, "steps": 50, "epochs": 2, "documents": 10, "trainTokens": 900, "vocabularyTrained": false, "resumed": null}""");
        var stored = await InsertAsync("train", "Succeeded", null,
            $$"""{"modelFolder": "jobs/{{model:N}}/model/", "accuracy": 0.9, "macroF1": 0.85, "steps": 100, "epochs": 3, "stoppedEarly": true, "selectedEpoch": 2, "resumed": false, "baseline": {"directory": "baseline", "accuracy": 0.7, "macroF1": 0.6, "c": 1, "features": 200, "trainingRows": 30, "seconds": 0.5}, "assessment": null}""");
        var legacy = await InsertAsync("train", "Succeeded", null, """{"modelDirectory": "/var/lib/platform/jobs/x/model", "accuracy": 0.75, "macroF1": 0.7}""");
        var batch = await InsertAsync("batch-predict", "Succeeded", """{"step": 10, "totalSteps": 10, "epoch": 1, "epochs": 1}""",
            $$"""{"predictionsFolder": "jobs/{{model:N}}/predictions/", "file": "predictions.csv", "rows": 10, "modelJobId": "{{model}}"}""");

        var progress = JobProgressData.Parse(await ProgressAsync(training))!;
        Assert.Equal(new JobProgressData(40, 100, 2, 3) { Loss = 0.52, LearningRate = 0.0001, SamplesPerSecond = 31.5, EtaSeconds = 12.25 }, progress);
        Assert.Equal(61.2, JobProgressData.Parse(await ProgressAsync(pretraining))!.Perplexity);
        Assert.Equal(new JobProgressData(10, 10, 1, 1), JobProgressData.Parse(await ProgressAsync(batch)));

        var result = TrainingJobResult.Parse(await ResultAsync(stored))!;
        Assert.Equal(($"jobs/{model:N}/model/", 0.9, 0.85, 100L, 3, true, 2), (result.ModelFolder, result.Accuracy, result.MacroF1, result.Steps, result.Epochs, result.StoppedEarly, result.SelectedEpoch));
        Assert.Equal(new BaselineSummary("baseline", 0.7, 0.6, 1, 200, 30, 0.5), result.Baseline);
        Assert.Null(result.Assessment);
        var old = TrainingJobResult.Parse(await ResultAsync(legacy))!;
        Assert.Equal(("/var/lib/platform/jobs/x/model", (string?)null, 0.75), (old.ModelDirectory, old.ModelFolder, old.Accuracy));
        // Another kind's result reads as a training result with nothing of a model in it.
        Assert.Null(TrainingJobResult.Parse(await ResultAsync(pretraining))!.ModelFolder);
        Assert.Equal(new BatchPredictionResult($"jobs/{model:N}/predictions/", "predictions.csv", 10, model), BatchPredictionResult.Parse(await ResultAsync(batch)));
        Assert.Null(BatchPredictionResult.Parse(await ResultAsync(stored)));
    }

    [Fact]
    public async Task ToJson_RowsWrittenNow_KeepTheOldNamesTheSqlReads()
    {
        var written = await InsertAsync("train", "Succeeded",
            new JobProgressData(7, 70, 1, 2) { Loss = double.NaN, LearningRate = 0.01, SamplesPerSecond = 3, EtaSeconds = 9 }.ToJson(),
            new TrainingJobResult { ModelFolder = "jobs/x/model/", Accuracy = 0.5, MacroF1 = 0.4, Steps = 70, Epochs = 2, StoppedEarly = false, Resumed = false }.ToJson());

        // The job grid and the API read these with SQL (JobGridQuery, ApiJobQuery, JobSummaryQuery).
        Assert.Equal("7/70 true", await _database.ScalarAsync<string>(
            $"SELECT (progress->>'step') || '/' || (progress->>'totalSteps') || ' ' || (result ? 'modelFolder')::text FROM jobs WHERE id = '{written}'"));
        Assert.Equal("accuracy,assessment,baseline,epochs,macroF1,modelFolder,resumed,selectedEpoch,steps,stoppedEarly", await _database.ScalarAsync<string>(
            $"SELECT string_agg(k, ',' ORDER BY k) FROM jobs, jsonb_object_keys(result) k WHERE id = '{written}'"));
        Assert.Equal("epoch,epochs,etaSeconds,learningRate,loss,samplesPerSecond,step,totalSteps", await _database.ScalarAsync<string>(
            $"SELECT string_agg(k, ',' ORDER BY k) FROM jobs, jsonb_object_keys(progress) k WHERE id = '{written}'"));
        Assert.True(double.IsNaN(JobProgressData.Parse(await ProgressAsync(written))!.Loss!.Value));
    }

    private async Task<Guid> InsertAsync(string kind, string state, string? progress, string? result)
    {
        var id = Guid.CreateVersion7();
        await using var insert = _database.DataSource.CreateCommand(
            "INSERT INTO jobs (id, tenant_id, kind, name, state, payload, progress, result) VALUES ($1, $2, $3, 'job', $4, '{}', $5::jsonb, $6::jsonb)");
        insert.Parameters.Add(new NpgsqlParameter { Value = id });
        insert.Parameters.Add(new NpgsqlParameter { Value = _tenantId });
        insert.Parameters.Add(new NpgsqlParameter { Value = kind });
        insert.Parameters.Add(new NpgsqlParameter { Value = state });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)progress ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)result ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await insert.ExecuteNonQueryAsync();
        return id;
    }

    private Task<string> ProgressAsync(Guid id) => _database.ScalarAsync<string>($"SELECT progress::text FROM jobs WHERE id = '{id}'");

    private Task<string> ResultAsync(Guid id) => _database.ScalarAsync<string>($"SELECT result::text FROM jobs WHERE id = '{id}'");
}
