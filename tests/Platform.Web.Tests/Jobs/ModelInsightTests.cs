using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Training;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>The model page's questions answered from a really trained model: what it gets wrong, and how sure it must be.</summary>
public sealed class ModelInsightTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task ModelPage_TrainedImageModel_ShowsMisclassifiedThumbnailsAndPrecisionAtThreshold()
    {
        var (owner, jobId, folder) = await TrainedImageJobAsync();
        var predictions = ValidationPredictions.Parse(await File.ReadAllTextAsync(Path.Combine(folder, ValidationPredictions.FileName)), "p");

        var page = await owner.Client.GetAsync($"/models/{jobId}");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        var rows = page.Document.QuerySelectorAll("#misclassified-table tbody tr");
        Assert.Equal(["dark/x00.png", "dark/x01.png", "dark/x02.png"], rows.Select(r => r.GetAttribute("data-example")).Order());
        Assert.All(rows, r => Assert.Equal(("dark", "bright"), (r.GetAttribute("data-truth"), r.GetAttribute("data-predicted"))));
        Assert.All(rows, r => Assert.StartsWith("data:image/png;base64,", r.QuerySelector("img.misclassified-thumbnail")!.GetAttribute("src")));
        // The default threshold, 0.5, and the numbers the stored scores give at it.
        var atHalf = ThresholdReport.At(predictions, 0.5);
        Assert.Equal("0.5", page.Document.QuerySelector("#threshold-value")!.GetAttribute("data-threshold"));
        Assert.Equal(Percent(atHalf.Precision!.Value), page.Text("#threshold-precision"));
        Assert.Equal(Percent(atHalf.Recall), page.Text("#threshold-recall"));
        Assert.Equal(Percent(atHalf.Coverage), page.Text("#threshold-coverage"));

        // A higher threshold answers fewer examples; the form is a plain GET, so the URL carries it.
        Assert.True(page.Has("form#threshold-form[method=get] input[name=threshold]"));
        var strict = await owner.Client.GetAsync($"/models/{jobId}?threshold=0.97");
        var at97 = ThresholdReport.At(predictions, 0.97);
        Assert.Equal("0.97", strict.Document.QuerySelector("#threshold-value")!.GetAttribute("data-threshold"));
        Assert.Equal(Percent(at97.Coverage), strict.Text("#threshold-coverage"));
        Assert.Equal(at97.PerClass[1].Kept.ToString(CultureInfo.InvariantCulture), strict.Text("#threshold-per-class tr[data-label=dark] td:nth-child(2)"));

        var wrong = await owner.Client.GetAsync($"/models/{jobId}?threshold=lots");
        Assert.Equal(HttpStatusCode.OK, wrong.Status);
        Assert.Contains("'lots' is not", wrong.Text("#threshold-error"));
        Assert.Equal("0.5", wrong.Document.QuerySelector("#threshold-value")!.GetAttribute("data-threshold"));

        // The examples are the tenant's data about the model, not part of the downloaded model.
        var download = await owner.Client.Http.GetByteArrayAsync($"/models/{jobId}/download");
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(download));
        Assert.Contains(zip.Entries, e => e.FullName == "model.safetensors");
        Assert.DoesNotContain(zip.Entries, e => e.FullName == ValidationPredictions.FileName);
    }

    [Fact]
    public async Task ModelPage_ModelWithoutStoredPredictions_HasNoThresholdCard()
    {
        var (owner, jobId, folder) = await TrainedImageJobAsync();
        File.Delete(Path.Combine(folder, ValidationPredictions.FileName));

        var page = await owner.Client.GetAsync($"/models/{jobId}");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.False(page.Has("#threshold"));
        Assert.False(page.Has("#misclassified"));
        Assert.True(page.Has("#confusion"));
    }

    [Fact]
    public async Task BatchPrediction_FromTheModelPageAndTheApi_QueuesAJobOfItsOwn()
    {
        var (owner, jobId, _) = await TrainedImageJobAsync();
        var page = await owner.Client.GetAsync($"/models/{jobId}");
        Assert.True(page.Has("form#batch-form[enctype='multipart/form-data'] input[type=file][name=file]"));

        // A CSV for an image model: refused with the reason, on the model page.
        var wrong = await PostBatchAsync(owner, page, jobId, "rows.csv", "text\nhello\n"u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Contains("ZIP of PNG or JPEG images", wrong.Text("#batch-error"));

        var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, grey) in new[] { ("a.png", (byte)210), ("b.png", (byte)40) })
            {
                using var entry = archive.CreateEntry(name).Open();
                entry.Write(TestFiles.Png(28, 28, grey));
            }
        }
        var launched = await PostBatchAsync(owner, page, jobId, "photos.zip", zip.ToArray());
        Assert.Equal(HttpStatusCode.Redirect, launched.Status);
        var batchId = Guid.Parse(launched.Location!.Split('/')[^1]);
        Assert.Equal("batch-predict", await portal.Database.ScalarAsync<string>($"SELECT kind FROM jobs WHERE id = '{batchId}' AND state = 'Queued'"));
        var listed = await owner.Client.GetAsync($"/models/{jobId}");
        Assert.Equal("Queued", listed.Document.QuerySelector($"#batch-list tr[data-job='{batchId}']")!.GetAttribute("data-state"));
        var early = await owner.Client.GetAsync($"/jobs/{batchId}/predictions");
        Assert.True(early.Status == HttpStatusCode.Conflict, $"{early.Status} {early.Location}");

        // The API: the same launch answers the job; its result is a 409 problem until it succeeds.
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<Platform.Data.ApiKeys.CreateApiKeyCommand>().ExecuteAsync("batch"));
        using var http = portal.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Value.PlainText);
        using var content = new MultipartFormDataContent { { new ByteArrayContent(zip.ToArray()), "file", "photos.zip" } };
        using var created = await http.PostAsync($"/api/v1/models/{jobId}/batch-predictions", content);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var job = await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("Queued", job.GetProperty("state").GetString());
        using var result = await http.GetAsync($"/api/v1/jobs/{job.GetProperty("id").GetString()}/predictions");
        Assert.Equal(HttpStatusCode.Conflict, result.StatusCode);
        using var noFile = await http.PostAsync($"/api/v1/models/{jobId}/batch-predictions", new MultipartFormDataContent());
        Assert.Equal(HttpStatusCode.BadRequest, noFile.StatusCode);
    }

    [Fact]
    public async Task BatchPrediction_TextFileWithoutItsTextColumn_RefusedOnTheModelPageNamingIt()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, jobId);
        var page = await owner.Client.GetAsync($"/models/{jobId}");

        var refused = await PostBatchAsync(owner, page, jobId, "tickets.csv", "id,message\n1,click now to win\n"u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("The file cannot be classified: missing column 'text' (the model reads text; the file's header has id, message)", refused.Text("#batch-error"));
        Assert.Equal(0, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE kind = 'batch-predict' AND payload ->> 'modelJobId' = '{jobId}'"));
    }

    private static async Task<Page> PostBatchAsync(Owner owner, Page page, Guid jobId, string fileName, byte[] bytes)
    {
        var form = (AngleSharp.Html.Dom.IHtmlFormElement)page.Document.QuerySelector("#batch-form")!;
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in PortalClient.FormValues(form))
            content.Add(new StringContent(value), name);
        content.Add(new ByteArrayContent(bytes), "file", fileName);
        return await owner.Client.PostAsync($"/models/{jobId}/batch", content);
    }

    private static string Percent(double value) => value.ToString("0.#%", CultureInfo.InvariantCulture);

    /// <summary>
    /// A cnn-28-grey trained (a few seconds) on bright and dark images, three bright ones filed under dark
    /// and kept for validation, so the model has mistakes to show.
    /// </summary>
    private async Task<(Owner Owner, Guid JobId, string Folder)> TrainedImageJobAsync()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadAsync(owner.Client, "pets.zip", TestFiles.GoodImageZip(), "pets");
        var jobId = await JobTestKit.LaunchAsync(portal, owner, datasetId, "cnn-28-grey");
        var images = Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "images");
        foreach (var (label, grey) in new[] { ("bright", (byte)200), ("dark", (byte)50) })
        {
            Directory.CreateDirectory(Path.Combine(images, label));
            for (var i = 0; i < 16; i++)
                await File.WriteAllBytesAsync(Path.Combine(images, label, $"{i:D2}.png"), TestFiles.Png(28, 28, (byte)(grey + i)));
        }
        for (var i = 0; i < 3; i++)
            await File.WriteAllBytesAsync(Path.Combine(images, "dark", $"x{i:D2}.png"), TestFiles.Png(28, 28, (byte)(205 + i)));
        // Name order: bright/00-15, dark/00-15, dark/x00-x02.
        int[] validation = [0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34];
        var split = new DataSplit(Enumerable.Range(0, 35).Except(validation).ToArray(), validation);
        var folder = Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "model");
        var trained = Trainer.Train(new TrainingRequest(images, "cnn-28-grey", folder,
            new TrainingOptions { Epochs = 4, BatchSize = 8, Threads = 1 }, Split: split));
        await JobTestKit.MarkSucceededAsync(portal, jobId, folder, trained.Metrics.Evaluation);
        return (owner, jobId, folder);
    }
}
