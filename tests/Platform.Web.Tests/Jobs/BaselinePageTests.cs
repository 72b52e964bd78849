using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Training.Metrics;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>
/// The linear baseline next to the fine-tuned model (side by side, playground, download, API), and the
/// stored verdict on a result (at chance, below the baseline) as an amber warning on every page.
/// </summary>
public sealed class BaselinePageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task ModelPage_TextModelWithBaseline_ShowsBothSideBySideOnTheSameSplit()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 1);
        var baseline = BaselineMetrics(jobId);

        var page = await owner.Client.GetAsync($"/models/{jobId}");

        var rows = page.Document.QuerySelectorAll("#comparison-table tbody tr");
        Assert.Equal(["accuracy", "macro_f1", "f1", "f1", "f1"], rows.Select(r => r.GetAttribute("data-metric")));
        Assert.Equal(JobTestKit.Labels, rows.Skip(2).Select(r => r.GetAttribute("data-label")));
        var accuracy = rows[0];
        Assert.Equal(Invariant(baseline.Accuracy), accuracy.GetAttribute("data-baseline"));
        Assert.Equal(Invariant((baseline.Count - 1.0) / baseline.Count), accuracy.GetAttribute("data-model"));
        Assert.Contains("pt", accuracy.QuerySelectorAll("td")[2].TextContent);
        // The chance line the verdict was measured against: always answering the most frequent label.
        Assert.StartsWith("Always “", page.Text("#comparison-table thead th:last-child"));
        Assert.True(page.Has("#download-baseline"));
        Assert.True(page.Has("#playground-variant input#variant-baseline[value=baseline]"));
    }

    [Fact]
    public async Task ModelPage_BelowBaseline_IsAnAmberWarningWithWhatToTry()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 1);

        var page = await owner.Client.GetAsync($"/models/{jobId}");

        var notice = page.Document.QuerySelector("#result-warning")!;
        Assert.Contains("alert-warning", notice.ClassList);
        Assert.Equal(ResultWarning.BelowBaseline, notice.GetAttribute("data-codes"));
        Assert.StartsWith("⚠ Below the baseline", page.Text("#result-warning h2"));
        Assert.Contains("Use the baseline model", page.Text("#result-warning-advice"));
        Assert.Contains("pretrained base model", page.Text("#result-warning-advice"));
    }

    [Fact]
    public async Task ModelPage_AsGoodAsTheBaseline_HasNoWarning()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 0);

        var page = await owner.Client.GetAsync($"/models/{jobId}");

        Assert.False(page.Has("#result-warning"));
        Assert.True(page.Has("#comparison-table"));
    }

    [Fact]
    public async Task JobPageAndList_WarnedResult_AreAmberNotGreen()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 1);

        var job = await owner.Client.GetAsync($"/jobs/{jobId}");
        var list = await owner.Client.GetAsync("/jobs");

        var badge = job.Document.QuerySelector(".job-state")!;
        Assert.Equal("true", badge.GetAttribute("data-warning"));
        Assert.Contains("text-bg-warning", badge.ClassList);
        Assert.DoesNotContain("text-bg-success", badge.ClassList);
        Assert.False(job.Has(".progress-bar.bg-success"));
        Assert.Equal(ResultWarning.BelowBaseline, job.Document.QuerySelector("#result-warning")!.GetAttribute("data-codes"));
        Assert.Equal($"/models/{jobId}#comparison", job.Document.QuerySelector("#result-warning a")!.GetAttribute("href"));
        var row = list.Document.QuerySelector($"#job-table .job-name[data-job='{jobId}']")!.Closest("tr")!;
        Assert.Equal("true", row.QuerySelector(".job-state")!.GetAttribute("data-warning"));
        Assert.StartsWith("Below the baseline", row.QuerySelector(".job-warning")!.TextContent.Trim());
    }

    [Fact]
    public async Task JobPageAndList_CleanResult_StayGreen()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 0);

        var job = await owner.Client.GetAsync($"/jobs/{jobId}");
        var list = await owner.Client.GetAsync("/jobs");

        Assert.Contains("text-bg-success", job.Document.QuerySelector(".job-state")!.ClassList);
        Assert.False(job.Has("#result-warning"));
        Assert.Null(list.Document.QuerySelector($"#job-table .job-name[data-job='{jobId}']")!.Closest("tr")!.QuerySelector(".job-warning"));
    }

    [Fact]
    public async Task ImageJobAtChance_IsWarnedOnEveryPage_WithoutABaseline()
    {
        // Truth [cats, dogs, dogs], predicted [cats, dogs, cats]: 2 of 3, exactly the share of "dogs".
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadAsync(owner.Client, "pets.zip", TestFiles.GoodImageZip(), "pets"), "cnn-28-grey");
        await JobTestKit.SucceedCnnAsync(portal, jobId);

        var model = await owner.Client.GetAsync($"/models/{jobId}");
        var job = await owner.Client.GetAsync($"/jobs/{jobId}");
        var list = await owner.Client.GetAsync("/jobs");

        Assert.Equal(ResultWarning.AccuracyAtChance, model.Document.QuerySelector("#result-warning")!.GetAttribute("data-codes"));
        Assert.StartsWith("⚠ No better than chance", model.Text("#result-warning h2"));
        Assert.Contains("input size and channels", model.Text("#result-warning-advice"));
        Assert.False(model.Has("#comparison"));
        Assert.False(model.Has("#playground-variant"));
        Assert.False(model.Has("#download-baseline"));
        Assert.True(job.Has("#result-warning"));
        Assert.Equal("true", list.Document.QuerySelector($"#job-table .job-name[data-job='{jobId}']")!.Closest("tr")!.QuerySelector(".job-state")!.GetAttribute("data-warning"));
    }

    [Fact]
    public async Task Playground_BaselineVariant_ClassifiesWithTheBaseline()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 1);
        var page = await owner.Client.GetAsync($"/models/{jobId}");

        var result = await owner.Client.SubmitAsync(page, "#playground-form",
            new Dictionary<string, string> { ["text"] = "win a free prize, click now", ["variant"] = "baseline" });

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("spam", result.Text("#predicted-label"));
        Assert.True(result.Has("#prediction [data-variant=baseline]"));
        Assert.Equal("Baseline's label", result.Text("#prediction [data-variant=baseline] > span"));
        // The page comes back with the baseline still picked.
        Assert.True(result.Has("#variant-baseline[checked]"));
    }

    [Fact]
    public async Task Download_BaselineVariantAndWholeModel_CarryTheBaselineFolder()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 1);

        var baseline = await ZipNamesAsync(owner, $"/models/{jobId}/download?variant=baseline");
        var whole = await ZipNamesAsync(owner, $"/models/{jobId}/download");
        using var unknown = await owner.Client.Http.GetAsync($"/models/{jobId}/download?variant=other");

        Assert.Equal(["config.json", "metrics.json", "model.safetensors"], baseline);
        Assert.Contains("baseline/model.safetensors", whole);
        Assert.Contains("baseline/config.json", whole);
        Assert.Contains("vocab.txt", whole);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Api_PredictAndMetrics_TakeTheBaselineVariant()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 1);
        using var http = await ApiClientAsync(owner);

        using var baseline = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { text = "the meeting agenda for tomorrow", variant = "baseline" });
        using var model = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { text = "the meeting agenda for tomorrow" });
        using var bogus = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { text = "hello", variant = "bigger" });
        using var metrics = await http.GetAsync($"/api/v1/models/{jobId}/metrics?variant=baseline");

        Assert.Equal(HttpStatusCode.OK, baseline.StatusCode);
        var answer = await baseline.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ham", answer.GetProperty("label").GetString());
        Assert.Equal("baseline", answer.GetProperty("variant").GetString());
        Assert.Equal(1.0, answer.GetProperty("scores").EnumerateObject().Sum(s => s.Value.GetDouble()), 6);
        Assert.Equal("model", (await model.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("variant").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, bogus.StatusCode);
        Assert.Contains("\"baseline\"", (await bogus.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var evaluation = (await metrics.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("evaluation");
        Assert.Equal(BaselineMetrics(jobId).Count, evaluation.GetProperty("count").GetInt32());
        Assert.Equal(1.0, evaluation.GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task Api_JobResultAndImageModel_CarryTheVerdictAndRefuseABaseline()
    {
        var (owner, jobId) = await TextJobAsync(modelErrors: 1);
        await JobTestKit.EnsureCatalogAsync(portal);
        var imageJob = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadAsync(owner.Client, "pets.zip", TestFiles.GoodImageZip(), "pets"), "cnn-28-grey");
        await JobTestKit.SucceedCnnAsync(portal, imageJob);
        using var http = await ApiClientAsync(owner);

        var job = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}");
        using var image = new MultipartFormDataContent { { new StringContent("baseline"), "variant" } };
        using var imagePredict = await http.PostAsync($"/api/v1/models/{imageJob}/predict", image);
        using var imageMetrics = await http.GetAsync($"/api/v1/models/{imageJob}/metrics?variant=baseline");

        var result = job.GetProperty("result");
        Assert.True(result.GetProperty("assessment").GetProperty("warning").GetBoolean());
        Assert.Equal(ResultWarning.BelowBaseline, result.GetProperty("assessment").GetProperty("warnings")[0].GetProperty("code").GetString());
        Assert.Equal(1.0, result.GetProperty("baseline").GetProperty("accuracy").GetDouble());
        Assert.Equal(HttpStatusCode.BadRequest, imagePredict.StatusCode);
        Assert.Contains("text models only", (await imagePredict.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, imageMetrics.StatusCode);
    }

    [Fact]
    public async Task OpenApi_PredictBody_DocumentsTheVariant()
    {
        using var http = portal.CreateClient();

        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty("PredictTextRequest");
        Assert.True(schema.GetProperty("properties").TryGetProperty("variant", out _));
        Assert.Contains("\"variant\": \"baseline\"", document.GetProperty("paths").GetProperty("/api/v1/models/{id}/predict")
            .GetProperty("post").GetProperty("summary").GetString());
    }

    private async Task<(Owner Owner, Guid JobId)> TextJobAsync(int modelErrors)
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedWithBaselineAsync(portal, jobId, modelErrors);
        return (owner, jobId);
    }

    private ClassificationMetrics BaselineMetrics(Guid jobId) =>
        MetricsFile.Read(Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "model", "baseline", MetricsFile.FileName)).Evaluation;

    private static string Invariant(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static async Task<List<string>> ZipNamesAsync(Owner owner, string url)
    {
        using var response = await owner.Client.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        return zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<HttpClient> ApiClientAsync(Owner owner)
    {
        var created = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("baseline-tests"));
        Assert.True(created.IsSuccess, created.ToString());
        var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Value.PlainText);
        return http;
    }
}
