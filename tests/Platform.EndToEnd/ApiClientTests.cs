using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Platform.Api.Client;
using Platform.Api.Client.Models;
using Platform.Data.ApiKeys;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// The real portal in its own process with one job worker (as `./platform up` runs it), driven only
/// through the C# client Kiota generates from its OpenAPI document (tests/Platform.Api.Client).
/// </summary>
public sealed class ApiClientTests(ApiClientTests.Portal portal) : IClassFixture<ApiClientTests.Portal>
{
    public sealed class Portal : IAsyncLifetime
    {
        private readonly string _storageRoot = Path.Combine(Path.GetTempPath(), "platform-e2e-" + Guid.NewGuid().ToString("N"));

        public PostgresDatabase Database { get; private set; } = null!;

        internal WebAppProcess App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Database = await PostgresDatabase.CreateAsync(migrate: false);
            using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            App = await WebAppProcess.StartAsync(Database.ConnectionString, _storageRoot, startup.Token,
                new Dictionary<string, string> { ["Worker__InProcess"] = "true", ["Worker__Name"] = "api-client-worker" }, ["--seed-demo"]);
        }

        public async Task DisposeAsync()
        {
            if (App is not null)
                await App.DisposeAsync();
            if (Database is not null)
                await Database.DisposeAsync();
            if (Directory.Exists(_storageRoot))
                Directory.Delete(_storageRoot, recursive: true);
        }
    }

    [Fact]
    public async Task GeneratedClient_IsWhatKiotaMakesOfTheServedDocument()
    {
        using var http = new HttpClient { BaseAddress = portal.App.BaseAddress };
        using var work = new TempDirectory();
        var document = Path.Combine(work.Path, "v1.json");
        await File.WriteAllTextAsync(document, await http.GetStringAsync("/openapi/v1.json"));
        var generated = Path.Combine(work.Path, "Generated");

        var (code, output) = await RunAsync(Path.Combine(ClientFolder(), "generate.sh"), document, generated);

        Assert.True(code == 0, output);
        var committed = Path.Combine(ClientFolder(), "Generated");
        var expected = Files(committed);
        var actual = Files(generated);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (path, text) in expected)
            Assert.True(text == actual[path], $"{path} differs from what Kiota generates now: run tests/Platform.Api.Client/generate.sh");
    }

    [Fact]
    public async Task GeneratedClient_UploadLaunchPollEventsMetricsPredictList()
    {
        var client = await ClientAsync();
        var v1 = client.Api.V1;

        var upload = new MultipartBody();
        upload.AddOrReplacePart("name", "text/plain", "api-client-reviews");
        upload.AddOrReplacePart("file", "text/csv", new MemoryStream(Encoding.UTF8.GetBytes(ReviewsCsv())), "reviews.csv");
        var dataset = await v1.Datasets.PostAsync(upload);
        Assert.Equal(DatasetKindDto.Text, dataset!.Kind);
        Assert.Equal(40, dataset.Rows);

        var baseModels = await v1.BaseModels.GetAsync(r => r.QueryParameters.Kind = Platform.Api.Client.Api.V1.BaseModels.GetKindQueryParameterType.Text);
        Assert.Contains(baseModels!.Data!, m => m.Name == "bert-mini-random");
        var launched = await v1.Jobs.PostAsync(new LaunchJobRequest
        {
            DatasetId = dataset.Id,
            BaseModel = "bert-mini-random",
            Preset = LaunchJobRequest_preset.Fast,
            Epochs = 2,
            BatchSize = 8,
            MaxSequenceLength = 32,
        });
        Assert.Equal(dataset.Id, launched!.DatasetId);
        Assert.Equal(2, launched.Hyperparameters!.Epochs);

        var deadline = Stopwatch.StartNew();
        var job = launched;
        while (job.State is JobStateDto.Queued or JobStateDto.Running)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(5), $"the job is still {job.State}\n{portal.App.Output}");
            await Task.Delay(500);
            job = (await v1.Jobs[launched.Id!.Value].GetAsync())!;
        }
        Assert.True(job.State == JobStateDto.Succeeded, $"{job.State}: {job.Error}\n{portal.App.Output}");
        Assert.Equal(job.Id, job.ModelId);
        Assert.True(job.UsageSeconds > 0);
        Assert.Equal(JobDto_device.Cpu, job.Device);

        var events = await v1.Jobs[job.Id!.Value].Events.GetAsync(r => r.QueryParameters.Type = Platform.Api.Client.Api.V1.Jobs.Item.Events.GetTypeQueryParameterType.Epoch);
        Assert.Equal(2, events!.Data!.Count);
        Assert.True(events.Data[0].Data!.AdditionalData.ContainsKey("trainLoss"), string.Join(",", events.Data[0].Data!.AdditionalData.Keys));

        var metrics = await v1.Models[job.ModelId!.Value].Metrics.GetAsync();
        Assert.Equal(["complaint", "praise"], metrics!.Evaluation!.Labels!.Order());
        Assert.InRange(metrics.Evaluation.Accuracy!.Value, 0, 1);
        Assert.Equal(2, metrics.History!.Count);

        var prediction = await v1.Models[job.ModelId.Value].Predict.PostAsync(new PredictTextRequest { Text = "Order 7 arrived broken, I want a refund" });
        Assert.Contains(prediction!.Label, new[] { "complaint", "praise" });
        var batch = await v1.Models[job.ModelId.Value].Predictions.PostAsync(new BatchPredictRequest { Inputs = ["Lovely, thanks", "Broken again"] });
        Assert.Equal(2, batch!.Predictions!.Count);

        var jobs = await v1.Jobs.GetAsync(r => r.QueryParameters.State = Platform.Api.Client.Api.V1.Jobs.GetStateQueryParameterType.Succeeded);
        Assert.Equal([job.Id], jobs!.Data!.Select(j => j.Id));
        var models = await v1.Models.GetAsync();
        Assert.Equal([job.Id], models!.Data!.Select(m => m.Id));
        Assert.False(models.HasMore);
        var datasets = await v1.Datasets.GetAsync(r => r.QueryParameters.Limit = 1);
        Assert.Equal(dataset.Id, datasets!.Data!.Single().Id);
    }

    [Fact]
    public async Task GeneratedClient_ValidationPredictions_PagesEveryExampleAndFiltersTheMistakes()
    {
        var client = await ClientAsync();
        var v1 = client.Api.V1;
        var upload = new MultipartBody();
        upload.AddOrReplacePart("name", "text/plain", "api-client-validation");
        // Labels that do not follow the text: the model must get some validation examples wrong.
        upload.AddOrReplacePart("file", "text/csv", new MemoryStream(Encoding.UTF8.GetBytes(ReviewsCsv(shuffleLabels: true))), "mixed.csv");
        var dataset = await v1.Datasets.PostAsync(upload);
        var launched = await v1.Jobs.PostAsync(new LaunchJobRequest
        {
            DatasetId = dataset!.Id, BaseModel = "bert-mini-random", Preset = LaunchJobRequest_preset.Fast, Epochs = 1, BatchSize = 8, MaxSequenceLength = 32,
        });
        var job = await SucceededAsync(v1, launched!.Id!.Value);
        var metrics = await v1.Models[job.Id!.Value].Metrics.GetAsync();

        var all = await v1.Models[job.Id.Value].ValidationPredictions.GetAsync(r => r.QueryParameters.Limit = 100);
        var firstPage = await v1.Models[job.Id.Value].ValidationPredictions.GetAsync(r => r.QueryParameters.Limit = 3);
        var secondPage = await v1.Models[job.Id.Value].ValidationPredictions.GetAsync(r =>
        {
            r.QueryParameters.Limit = 3;
            r.QueryParameters.After = firstPage!.LastId;
        });
        var mistakes = await v1.Models[job.Id.Value].ValidationPredictions.GetAsync(r =>
        {
            r.QueryParameters.Misclassified = true;
            r.QueryParameters.Limit = 100;
        });
        var missing = await Assert.ThrowsAsync<Platform.Api.Client.Models.ProblemDetails>(() =>
            v1.Models[Guid.NewGuid()].ValidationPredictions.GetAsync());

        Assert.Equal(metrics!.Evaluation!.Count, all!.Data!.Count);
        Assert.False(all.HasMore);
        Assert.Equal(metrics.Evaluation.Accuracy!.Value, all.Data.Count(p => p.Correct == true) / (double)all.Data.Count, 3);
        Assert.All(all.Data, p =>
        {
            Assert.Equal(["complaint", "praise"], p.Scores!.AdditionalData.Keys.Order());
            Assert.Equal(p.Correct, p.TrueLabel == p.PredictedLabel);
            Assert.InRange(p.Confidence!.Value, 0.5, 1.0);
        });
        Assert.True(firstPage!.HasMore);
        Assert.Equal(all.Data.Skip(3).Take(3).Select(p => p.Id), secondPage!.Data!.Select(p => p.Id));
        Assert.Equal(all.Data.Count(p => p.Correct == false), mistakes!.Data!.Count);
        Assert.NotEmpty(mistakes.Data);
        Assert.All(mistakes.Data, p => Assert.False(p.Correct));
        Assert.Equal(mistakes.Data.Select(p => p.Confidence).OrderDescending(), mistakes.Data.Select(p => p.Confidence));
        Assert.NotNull(mistakes.Data[0].Text);
        Assert.Equal(404, missing.ResponseStatusCode);
    }

    [Fact]
    public async Task ReferencePage_RendersUnderTheContentSecurityPolicy()
    {
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new Microsoft.Playwright.BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new() { BaseURL = portal.App.BaseAddress.ToString() });
        var refused = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
                refused.Add(message.Text);
        };

        var response = await page.GotoAsync("/api/docs");

        Assert.Contains("script-src 'self' 'sha256-", response!.Headers["content-security-policy"]);
        await Microsoft.Playwright.Assertions.Expect(page.GetByText("The organisation's datasets, newest first").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        Assert.Empty(refused);
    }

    private async Task<PlatformApiClient> ClientAsync()
    {
        var (_, owner) = await Seed.TenantAsync(portal.Database);
        await using var db = portal.Database.CreateDbContext(owner);
        var key = await new CreateApiKeyCommand(db, owner, TimeProvider.System, new Platform.Data.Audit.AuditTrail(owner)).ExecuteAsync("api-client-test");
        Assert.True(key.IsSuccess, key.ToString());
        var http = new HttpClient { BaseAddress = portal.App.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);
        var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = portal.App.BaseAddress.ToString().TrimEnd('/'),
        };
        return new PlatformApiClient(adapter);
    }

    /// <summary>
    /// 40 short reviews in two classes: enough for two epochs of a few steps on the demo BERT. With
    /// <paramref name="shuffleLabels"/> every third review has the other label, so no model gets them all right.
    /// </summary>
    private static string ReviewsCsv(bool shuffleLabels = false)
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 20; i++)
        {
            var swap = shuffleLabels && i % 3 == 0;
            csv.Append($"\"Order {i} arrived broken and late, I want a refund\",{(swap ? "praise" : "complaint")}\n");
            csv.Append($"\"Lovely product {i}, works great, thank you\",{(swap ? "complaint" : "praise")}\n");
        }
        return csv.ToString();
    }

    private async Task<JobDto> SucceededAsync(Platform.Api.Client.Api.V1.V1RequestBuilder v1, Guid id)
    {
        var deadline = Stopwatch.StartNew();
        var job = (await v1.Jobs[id].GetAsync())!;
        while (job.State is JobStateDto.Queued or JobStateDto.Running)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(5), $"the job is still {job.State}\n{portal.App.Output}");
            await Task.Delay(500);
            job = (await v1.Jobs[id].GetAsync())!;
        }
        Assert.True(job.State == JobStateDto.Succeeded, $"{job.State}: {job.Error}\n{portal.App.Output}");
        return job;
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);

    private static string ClientFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
                return Path.Combine(dir.FullName, "tests", "Platform.Api.Client");
        }
        throw new DirectoryNotFoundException("Platform.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
