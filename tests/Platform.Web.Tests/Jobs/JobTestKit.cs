using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Jobs.Catalog;
using Platform.Jobs.Launch;
using Platform.Jobs.Training;
using Platform.Training.Baseline;
using Platform.Training.Metrics;
using Platform.Training.Training;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>An owner with a signed-in client, the tenant, and the owner's user id.</summary>
internal sealed record Owner(PortalClient Client, Guid TenantId, Guid UserId);

/// <summary>
/// Shared set-up for the job, model and API tests: the demo catalog, a signed-in owner with a text
/// dataset, and jobs launched through the real LaunchJobCommand. The test server runs no worker, so
/// launched jobs stay queued until a test moves them on.
/// </summary>
internal static class JobTestKit
{
    public static async Task EnsureCatalogAsync(PortalFactory portal) =>
        await portal.WithServicesAsync(async sp =>
        {
            await DemoBaseModels.EnsureAsync(sp.GetRequiredService<BaseModelCatalog>());
            return 0;
        });

    public static async Task<Owner> OwnerAsync(PortalFactory portal)
    {
        var user = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(user);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);
        return new Owner(client, tenant.Id, user.Id);
    }

    /// <summary>Uploads <see cref="TestFiles.GoodCsv"/> through the portal's form and returns the dataset id.</summary>
    public static Task<Guid> UploadCsvAsync(PortalClient client, string name = "tickets") =>
        UploadAsync(client, "tickets.csv", TestFiles.GoodCsv(), name);

    public static async Task<Guid> UploadAsync(PortalClient client, string fileName, byte[] content, string name)
    {
        var form = await client.GetAsync("/datasets/new");
        var multipart = new MultipartFormDataContent();
        var element = (AngleSharp.Html.Dom.IHtmlFormElement)form.Document.QuerySelector("#upload-form")!;
        foreach (var (key, value) in PortalClient.FormValues(element))
            multipart.Add(new StringContent(key == "name" ? name : value), key);
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        multipart.Add(file, "file", fileName);
        var posted = await client.PostAsync("/datasets/upload", multipart);
        return Guid.Parse(posted.Location!.Split('/')[^1]);
    }

    public static async Task<T> AsTenantAsync<T>(PortalFactory portal, Owner owner, Func<IServiceProvider, Task<T>> action) =>
        await portal.WithServicesAsync(async sp =>
        {
            sp.GetRequiredService<CurrentTenant>().Set(owner.TenantId, owner.UserId);
            return await action(sp);
        });

    public static async Task<Guid> LaunchAsync(PortalFactory portal, Owner owner, Guid datasetId, string baseModel = DemoBaseModels.BertName)
    {
        var launched = await AsTenantAsync(portal, owner, sp => sp.GetRequiredService<LaunchJobCommand>()
            .ExecuteAsync(new LaunchJobRequest(datasetId, baseModel, "fast")));
        Assert.True(launched.IsSuccess, launched.ToString());
        return launched.Value;
    }

    public static readonly string[] Labels = ["spam", "ham", "other"];

    /// <summary>
    /// Ends a queued job as a worker would after training: a model folder (the demo BERT, freshly
    /// initialised with the dataset's labels) with its metrics.json, and the job Succeeded pointing at it.
    /// </summary>
    public static async Task SucceedAsync(PortalFactory portal, Guid jobId)
    {
        var baseFolder = await DemoBertFolderAsync(portal);
        var folder = Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "model");
        BertClassifier.Initialise(Path.Combine(baseFolder, "config.json"), Path.Combine(baseFolder, "vocab.txt"), Labels, folder, seed: 7);
        await FinishAsync(portal, jobId, folder, Labels, [0, 0, 1, 2, 1], [0, 1, 1, 2, 1]);
    }

    /// <summary>The demo BERT's files, fetched from the artifact store into the portal's cache.</summary>
    private static Task<string> DemoBertFolderAsync(PortalFactory portal) => portal.WithServicesAsync(async sp =>
        await sp.GetRequiredService<BaseModelFiles>().LocalFolderAsync(
            (await sp.GetRequiredService<BaseModelCatalog>().FindAsync(null, DemoBaseModels.BertName))!));

    public static readonly string[] ImageLabels = ["cats", "dogs"];

    /// <summary>As <see cref="SucceedAsync"/>, for an image job: an untrained cnn-28-grey with the ZIP's labels.</summary>
    public static async Task SucceedCnnAsync(PortalFactory portal, Guid jobId)
    {
        var folder = Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "model");
        using (var model = CnnImageClassifier.ForTraining("cnn-28-grey", ImageLabels, Platform.Training.Torch.Device.Cpu))
            model.Save(folder);
        await FinishAsync(portal, jobId, folder, ImageLabels, [0, 1, 1], [0, 1, 0]);
    }

    /// <summary>
    /// As <see cref="SucceedAsync"/>, with the linear baseline a worker fits for text: a real one, fitted on a
    /// spam/ham/other CSV (<see cref="BaselineCsv"/>) and scored on its validation rows. The model's
    /// evaluation is on the same rows, with <paramref name="modelErrors"/> of them answered wrong.
    /// </summary>
    public static async Task SucceedWithBaselineAsync(PortalFactory portal, Guid jobId, int modelErrors)
    {
        var baseFolder = await DemoBertFolderAsync(portal);
        var folder = Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "model");
        BertClassifier.Initialise(Path.Combine(baseFolder, "config.json"), Path.Combine(baseFolder, "vocab.txt"), Labels, folder, seed: 7);
        Directory.CreateDirectory(folder);
        var csv = Path.Combine(folder, "..", "data.csv");
        File.WriteAllText(csv, BaselineCsv());
        var baseline = BaselineTrainer.Train(csv, Path.Combine(folder, BaselineTrainer.FolderName), validationFraction: 0.25);
        Assert.Equal(1.0, baseline.Metrics.Evaluation.Accuracy);
        var truth = baseline.Metrics.Evaluation.PerClass
            .SelectMany(c => Enumerable.Repeat(Array.IndexOf(Labels, c.Label), c.Support)).ToArray();
        var predicted = truth.Select((t, i) => i < modelErrors ? (t + 1) % Labels.Length : t).ToArray();
        await FinishAsync(portal, jobId, folder, Labels, truth, predicted, baseline);
    }

    /// <summary>Sixty tickets whose label follows their words: the baseline separates them completely.</summary>
    public static string BaselineCsv()
    {
        var csv = new System.Text.StringBuilder("text,label\n");
        string[] spam = ["win", "prize", "click", "free", "offer"];
        string[] ham = ["meeting", "agenda", "lunch", "report", "tomorrow"];
        string[] other = ["weather", "garden", "recipe", "holiday", "music"];
        for (var i = 0; i < 20; i++)
        {
            csv.Append($"\"{spam[i % 5]} a {spam[(i + 2) % 5]} now {i}\",spam\n");
            csv.Append($"\"the {ham[i % 5]} and {ham[(i + 1) % 5]} {i}\",ham\n");
            csv.Append($"\"about {other[i % 5]}, {other[(i + 3) % 5]} {i}\",other\n");
        }

        return csv.ToString();
    }

    private static async Task FinishAsync(PortalFactory portal, Guid jobId, string folder, string[] labels, int[] truth, int[] predicted,
        BaselineResult? baseline = null)
    {
        var evaluation = ClassificationMetrics.Compute(truth, predicted, labels);
        MetricsFile.Write(Path.Combine(folder, MetricsFile.FileName), new MetricsReport(evaluation, "validation",
            [new EpochRecord(1, 1.05, 0.98, 0.6, 0.55, 1.5), new EpochRecord(2, 0.71, 0.80, 0.8, 0.78, 1.4)]));
        await MarkSucceededAsync(portal, jobId, folder, evaluation, baseline);
    }

    /// <summary>Marks a job succeeded with the result a worker stores, for a model folder that already has its metrics.json.</summary>
    public static async Task MarkSucceededAsync(PortalFactory portal, Guid jobId, string folder, ClassificationMetrics evaluation,
        BaselineResult? baseline = null)
    {
        // What TrainingJobHandler stores: the scores, the baseline's summary and the verdict on them.
        var kind = ClassifierModel.DetectKind(folder);
        var result = JsonSerializer.Serialize(new
        {
            modelDirectory = folder,
            accuracy = evaluation.Accuracy,
            macroF1 = evaluation.MacroF1,
            baseline = baseline is null ? null : BaselineSummary.From(baseline),
            assessment = ResultAssessment.Assess(evaluation, baseline?.Metrics.Evaluation, kind),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        await using var command = portal.Database.DataSource.CreateCommand("""
            UPDATE jobs SET state = 'Succeeded', result = $2::jsonb, started_at = now() - interval '1 minute', finished_at = now() WHERE id = $1;
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = result });
        await command.ExecuteNonQueryAsync();
        await using var dequeue = portal.Database.DataSource.CreateCommand($"DELETE FROM job_queue WHERE job_id = '{jobId}'");
        await dequeue.ExecuteNonQueryAsync();
    }

    /// <summary>Loss points as a worker records them (LossCurveRecorder, tested in Platform.Jobs.Tests).</summary>
    public static async Task AddLossPointsAsync(PortalFactory portal, Guid jobId, long totalSteps, params (long Step, double Loss)[] points)
    {
        foreach (var (step, loss) in points)
        {
            await using var command = portal.Database.DataSource.CreateCommand("""
                INSERT INTO job_loss_points (tenant_id, job_id, step, total_steps, loss, learning_rate, attempt)
                SELECT tenant_id, id, $2, $3, $4, 1e-4, 1 FROM jobs WHERE id = $1
                """);
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = step });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = totalSteps });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = loss });
            await command.ExecuteNonQueryAsync();
        }
    }

    public static async Task ExecuteAsync(PortalFactory portal, string sql)
    {
        await using var command = portal.Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
