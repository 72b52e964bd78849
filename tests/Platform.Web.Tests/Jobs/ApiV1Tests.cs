using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>Issue 14: pagination, idempotency, complete resources and one JSON convention on /api/v1.</summary>
public sealed class ApiV1Tests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task ListJobs_MoreThanAPage_CursorReachesEveryJobOnceInOrder()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        await JobTestKit.ExecuteAsync(portal, $"INSERT INTO tenant_job_limits (tenant_id, max_active) VALUES ('{owner.TenantId}', 100) ON CONFLICT (tenant_id) DO UPDATE SET max_active = 100");
        var launched = new List<Guid>();
        for (var i = 0; i < 23; i++)
            launched.Add(await JobTestKit.LaunchAsync(portal, owner, datasetId));
        using var http = await ApiAsync(owner);

        var seen = new List<Guid>();
        string? after = null;
        var pages = 0;
        while (true)
        {
            var page = await http.GetFromJsonAsync<JsonElement>("/api/v1/jobs?limit=10" + (after is null ? "" : $"&after={after}"));
            var ids = page.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
            seen.AddRange(ids);
            pages++;
            Assert.Equal(ids[0].ToString(), page.GetProperty("firstId").GetString());
            Assert.Equal(ids[^1].ToString(), page.GetProperty("lastId").GetString());
            if (!page.GetProperty("hasMore").GetBoolean())
                break;
            after = page.GetProperty("lastId").GetString();
        }

        Assert.Equal(3, pages);
        Assert.Equal(23, seen.Count);
        Assert.Equal(launched.ToHashSet(), seen.ToHashSet());
        var created = await CreatedAtAsync(seen);
        Assert.Equal(created.OrderByDescending(c => c).ToList(), created);
    }

    [Theory]
    [InlineData("/api/v1/jobs?state=bogus", "state")]
    [InlineData("/api/v1/jobs?limit=0", "limit")]
    [InlineData("/api/v1/jobs?limit=101", "limit")]
    [InlineData("/api/v1/jobs?limit=abc", "limit")]
    [InlineData("/api/v1/jobs?after=not-a-uuid", "after")]
    [InlineData("/api/v1/jobs?after=00000000-0000-0000-0000-000000000001", "after")]
    [InlineData("/api/v1/jobs?datasetId=42", "datasetId")]
    [InlineData("/api/v1/jobs?createdAfter=yesterday", "createdAfter")]
    [InlineData("/api/v1/jobs?createdBefore=2026-12-01T10:00:00", "createdBefore")]
    [InlineData("/api/v1/jobs?kind=predict", "kind")]
    [InlineData("/api/v1/datasets?kind=audio", "kind")]
    [InlineData("/api/v1/base-models?kind=audio", "kind")]
    [InlineData("/api/v1/models?state=Queued", "state")]
    [InlineData("/api/v1/jobs?stat=Failed", "stat")]
    [InlineData("/api/v1/jobs?state=Failed&Limit=5", "Limit")]
    [InlineData("/api/v1/models?kind=batch-predict", "kind")]
    [InlineData("/api/v1/api-keys?all=true", "all")]
    public async Task List_InvalidParameter_Returns400ProblemNamingIt(string url, string param)
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);

        using var response = await http.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid_parameter", problem.GetProperty("code").GetString());
        Assert.Equal(param, problem.GetProperty("param").GetString());
    }

    [Fact]
    public async Task ListJobs_Filters_NarrowByStateDatasetModelAndTime()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var first = await JobTestKit.UploadCsvAsync(owner.Client, "first");
        var second = await JobTestKit.UploadCsvAsync(owner.Client, "second");
        var a = await JobTestKit.LaunchAsync(portal, owner, first);
        var b = await JobTestKit.LaunchAsync(portal, owner, second);
        await JobTestKit.SucceedAsync(portal, a);
        using var http = await ApiAsync(owner);

        Assert.Equal([a], await IdsAsync(http, $"/api/v1/jobs?datasetId={first}"));
        Assert.Equal([b], await IdsAsync(http, "/api/v1/jobs?state=queued"));
        Assert.Equal([a], await IdsAsync(http, "/api/v1/jobs?state=Succeeded&baseModel=bert-mini-random"));
        Assert.Empty(await IdsAsync(http, "/api/v1/jobs?baseModel=cnn-28-grey"));
        Assert.Empty(await IdsAsync(http, "/api/v1/jobs?createdAfter=2100-01-01T00:00:00Z"));
        Assert.Equal(2, (await IdsAsync(http, "/api/v1/jobs?createdBefore=2100-01-01T00:00:00%2B02:00")).Count);
        Assert.Equal([a], await IdsAsync(http, "/api/v1/models"));
    }

    [Fact]
    public async Task ListJobs_BatchPrediction_ReportsItsOwnKindAndFiltersByKind()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var model = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, model);
        using var http = await ApiAsync(owner);

        // A text model's file without a "text" column: a 400 that names it, and no job.
        using var noText = await PostFileAsync(http, $"/api/v1/models/{model}/batch-predictions", "rows.csv", "id,body\n1,click now to win\n");
        Assert.Equal(HttpStatusCode.BadRequest, noText.StatusCode);
        var problem = await noText.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("file", problem.GetProperty("param").GetString());
        Assert.StartsWith("The file cannot be classified: missing column 'text'", problem.GetProperty("detail").GetString());
        // Columns in any order, with others beside them.
        using var created = await PostFileAsync(http, $"/api/v1/models/{model}/batch-predictions", "rows.csv", "source,text,id\nmail,click now to win,1\n");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var batch = await created.Content.ReadFromJsonAsync<JsonElement>();
        var batchId = batch.GetProperty("id").GetGuid();

        Assert.Equal("batch-predict", batch.GetProperty("kind").GetString());
        Assert.Equal("batch-predict", (await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{batchId}")).GetProperty("kind").GetString());
        Assert.Equal("train", (await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{model}")).GetProperty("kind").GetString());
        Assert.Equal([batchId], await IdsAsync(http, "/api/v1/jobs?kind=batch-predict"));
        Assert.Equal([model], await IdsAsync(http, "/api/v1/jobs?kind=Train"));
        Assert.Empty(await IdsAsync(http, "/api/v1/jobs?kind=pretrain"));
        Assert.Equal([batchId, model], await IdsAsync(http, "/api/v1/jobs"));
        Assert.Equal([batchId], await IdsAsync(http, "/api/v1/jobs?kind=batch-predict&state=Queued"));
        // A batch is no model.
        Assert.Equal([model], await IdsAsync(http, "/api/v1/models"));
    }

    private static async Task<HttpResponseMessage> PostFileAsync(HttpClient http, string url, string fileName, string content)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", fileName } };
        return await http.PostAsync(url, form);
    }

    [Fact]
    public async Task Job_FullObject_HasSettingsAndNoServerPaths()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        using var http = await ApiAsync(owner);

        using var launched = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random", preset = "fast", seed = 7 });
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
        var job = await launched.Content.ReadFromJsonAsync<JsonElement>();
        var jobId = job.GetProperty("id").GetGuid();
        using var behind = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random" });
        var next = await behind.Content.ReadFromJsonAsync<JsonElement>();
        var queued = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}");
        await JobTestKit.SucceedAsync(portal, jobId);
        var done = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}");
        var raw = await http.GetStringAsync($"/api/v1/jobs/{jobId}");

        Assert.Equal("Queued", job.GetProperty("state").GetString());
        // The queue is shared: jobs launched later stand behind (by priority, then age).
        Assert.Equal(queued.GetProperty("queuePosition").GetInt32() + 1, next.GetProperty("queuePosition").GetInt32());
        Assert.Equal(7, job.GetProperty("seed").GetInt64());
        var hyper = job.GetProperty("hyperparameters");
        Assert.Equal("fast", hyper.GetProperty("preset").GetString());
        Assert.True(hyper.GetProperty("epochs").GetInt32() >= 1);
        Assert.True(hyper.GetProperty("batchSize").GetInt32() >= 1);
        Assert.True(hyper.GetProperty("learningRate").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("modelId").ValueKind);
        Assert.Equal("Succeeded", done.GetProperty("state").GetString());
        Assert.Equal(jobId, done.GetProperty("modelId").GetGuid());
        Assert.Equal(JsonValueKind.Null, done.GetProperty("queuePosition").ValueKind);
        Assert.Equal(0.0, done.GetProperty("usageSeconds").GetDouble());
        Assert.DoesNotContain("modelDirectory", raw);
        Assert.DoesNotContain(portal.StorageRoot, raw);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", done.GetProperty("createdAt").GetString());
    }

    [Fact]
    public async Task Dataset_UploadLocation_GetsProfileThenDeletes()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);

        using var uploaded = await http.PostAsync("/api/v1/datasets", CsvUpload("located"));
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var location = uploaded.Headers.Location!.ToString();
        var dataset = await http.GetFromJsonAsync<JsonElement>(location);
        var list = await http.GetFromJsonAsync<JsonElement>("/api/v1/datasets?kind=text&limit=1");
        using var deleted = await http.DeleteAsync(location);
        using var gone = await http.GetAsync(location);

        Assert.Equal("located", dataset.GetProperty("name").GetString());
        Assert.Equal("text", dataset.GetProperty("kind").GetString());
        var labels = dataset.GetProperty("labelDistribution");
        Assert.Equal((6, 4, 3), (labels.GetProperty("spam").GetInt32(), labels.GetProperty("ham").GetInt32(), labels.GetProperty("other").GetInt32()));
        var split = dataset.GetProperty("split");
        Assert.Equal(13, split.GetProperty("train").GetInt32() + split.GetProperty("validation").GetInt32());
        Assert.Equal(dataset.GetProperty("id").GetGuid(), list.GetProperty("data")[0].GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("not_found", (await gone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task IdempotencyKey_RetriedLaunch_ReplaysTheFirstJob()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        using var http = await ApiAsync(owner);
        var body = new { datasetId, baseModel = "bert-mini-random", preset = "fast" };

        using var first = await PostAsync(http, "/api/v1/jobs", body, "launch-1");
        using var retry = await PostAsync(http, "/api/v1/jobs", body, "launch-1");
        using var other = await PostAsync(http, "/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random", preset = "best" }, "launch-1");
        using var fresh = await PostAsync(http, "/api/v1/jobs", body, "launch-2");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        var firstId = await IdAsync(first);
        Assert.Equal(firstId, await IdAsync(retry));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("idempotency_key_reused", (await other.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.NotEqual(firstId, await IdAsync(fresh));
        Assert.Equal(2L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{owner.TenantId}'"));
    }

    [Fact]
    public async Task IdempotencyKey_CreatedApiKey_ReplaysIt_ButTheKeptAnswerIsNotPlainText()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);

        using var first = await PostAsync(http, "/api/v1/api-keys", new { name = "deploy" }, "key-1");
        using var retry = await PostAsync(http, "/api/v1/api-keys", new { name = "deploy" }, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var secret = await first.Content.ReadAsStringAsync();
        Assert.Equal(secret, await retry.Content.ReadAsStringAsync());
        var plainKey = JsonDocument.Parse(secret).RootElement.GetProperty("key").GetString()!;
        var kept = await portal.Database.ScalarAsync<byte[]>($"SELECT body FROM api_idempotency_keys WHERE tenant_id = '{owner.TenantId}' AND key = 'key-1'");
        Assert.DoesNotContain(plainKey, Encoding.UTF8.GetString(kept));
        Assert.DoesNotContain("deploy", Encoding.UTF8.GetString(kept));
    }

    [Fact]
    public async Task IdempotencyKey_SimultaneousLaunches_CreateOneJob()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        using var http = await ApiAsync(owner);
        var body = new { datasetId, baseModel = "bert-mini-random", preset = "fast" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PostAsync(http, "/api/v1/jobs", body, "together")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single((await Task.WhenAll(responses.Select(IdAsync))).Distinct());
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{owner.TenantId}'"));
        foreach (var r in responses)
            r.Dispose();
    }

    [Fact]
    public async Task IdempotencyKey_ResentUploadWithNewBoundary_DoesNotCreateVersion2()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);

        using var first = await SendAsync(http, HttpMethod.Post, "/api/v1/datasets", CsvUpload("resent"), "upload-1");
        using var again = await SendAsync(http, HttpMethod.Post, "/api/v1/datasets", CsvUpload("resent"), "upload-1");
        using var failed = await SendAsync(http, HttpMethod.Post, "/api/v1/datasets", CsvUpload(""), "upload-2");
        using var corrected = await SendAsync(http, HttpMethod.Post, "/api/v1/datasets", CsvUpload("resent-2"), "upload-2");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(await IdAsync(first), await IdAsync(again));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM datasets WHERE tenant_id = '{owner.TenantId}' AND name = 'resent'"));
        // A refused first attempt keeps nothing: the corrected request under the same key runs.
        Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, corrected.StatusCode);
    }

    [Fact]
    public async Task Models_ListGetMetricsDownloadBatchPredictDelete()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, jobId);
        using var http = await ApiAsync(owner);

        var model = await http.GetFromJsonAsync<JsonElement>($"/api/v1/models/{jobId}");
        var metrics = await http.GetStringAsync($"/api/v1/models/{jobId}/metrics");
        using var download = await http.GetAsync($"/api/v1/models/{jobId}/download");
        using var batch = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predictions", new { inputs = new[] { "click now to win", "see the agenda" } });
        using var tooMany = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predictions", new { inputs = Enumerable.Repeat("x", 65) });
        using var deleted = await http.DeleteAsync($"/api/v1/models/{jobId}");
        using var gone = await http.GetAsync($"/api/v1/models/{jobId}");
        using var job = await http.GetAsync($"/api/v1/jobs/{jobId}");

        Assert.Equal("text", model.GetProperty("kind").GetString());
        Assert.Equal(0.8, model.GetProperty("accuracy").GetDouble(), 6);
        Assert.Contains("\"macroF1\"", metrics);
        Assert.Contains("\"perClass\"", metrics);
        Assert.Contains("\"confusionMatrix\"", metrics);
        Assert.DoesNotContain("macro_f1", metrics);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/zip", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        Assert.Equal(2, (await batch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictions").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal("inputs", (await tooMany.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("param").GetString());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(HttpStatusCode.OK, job.StatusCode);
    }

    [Fact]
    public async Task Events_AcceptJson_PagesTheLogWithCamelCaseData()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.ExecuteAsync(portal, $$"""
            INSERT INTO job_events (tenant_id, job_id, type, message, data)
            SELECT '{{owner.TenantId}}', '{{jobId}}', 'epoch', 'Epoch ' || n, jsonb_build_object('Epoch', n, 'train_loss', 1.0 / n)
            FROM generate_series(1, 5) n
            """);
        using var http = await ApiAsync(owner);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var first = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/events?limit=4");
        var rest = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/events?limit=4&after={first.GetProperty("lastId").GetString()}");
        var epochs = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/events?type=epoch");

        Assert.Equal("queued", first.GetProperty("data")[0].GetProperty("type").GetString());
        Assert.True(first.GetProperty("hasMore").GetBoolean());
        Assert.Equal(2, rest.GetProperty("data").GetArrayLength());
        Assert.False(rest.GetProperty("hasMore").GetBoolean());
        var data = epochs.GetProperty("data");
        Assert.Equal(5, data.GetArrayLength());
        Assert.Equal(1, data[0].GetProperty("data").GetProperty("epoch").GetInt32());
        Assert.Equal(1.0, data[0].GetProperty("data").GetProperty("trainLoss").GetDouble());
    }

    [Fact]
    public async Task Events_OrderNewest_PagesBackFromTheLatestEvent()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.ExecuteAsync(portal, $$"""
            INSERT INTO job_events (tenant_id, job_id, type, message, data)
            SELECT '{{owner.TenantId}}', '{{jobId}}', CASE WHEN n % 2 = 0 THEN 'epoch' ELSE 'log' END, 'Event ' || n, NULL
            FROM generate_series(1, 5) n
            """);
        using var http = await ApiAsync(owner);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var newest = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/events?limit=2&order=newest");
        var older = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/events?limit=10&order=newest&after={newest.GetProperty("lastId").GetString()}");
        var epochs = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/events?order=newest&type=epoch");
        var invalid = await http.GetAsync($"/api/v1/jobs/{jobId}/events?order=sideways");

        Assert.Equal(["Event 5", "Event 4"], newest.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("message").GetString()));
        Assert.True(newest.GetProperty("hasMore").GetBoolean());
        // Events 3 to 1, then the queued event the launch wrote.
        Assert.Equal(["Event 3", "Event 2", "Event 1", "Queued"], older.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("message").GetString()));
        Assert.False(older.GetProperty("hasMore").GetBoolean());
        Assert.Equal(["Event 4", "Event 2"], epochs.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("message").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("order", (await invalid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Checkpoints_ListedByStepWithTheResumePoint()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.ExecuteAsync(portal, $$"""
            INSERT INTO job_events (tenant_id, job_id, type, message) VALUES
              ('{{owner.TenantId}}', '{{jobId}}', 'checkpoint', 'Checkpoint saved at step 10'),
              ('{{owner.TenantId}}', '{{jobId}}', 'checkpoint', 'Checkpoint saved at step 20'),
              ('{{owner.TenantId}}', '{{jobId}}', 'checkpoint', 'Checkpoint saved at step 30 on the worker; published once the run''s ownership is confirmed');
            UPDATE jobs SET checkpoint_step = 20 WHERE id = '{{jobId}}';
            """);
        using var http = await ApiAsync(owner);

        var first = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/checkpoints?limit=2");
        var rest = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/checkpoints?after={first.GetProperty("lastId").GetString()}");

        var steps = first.GetProperty("data").EnumerateArray().Select(c => (c.GetProperty("step").GetInt64(), c.GetProperty("isResumePoint").GetBoolean())).ToList();
        Assert.Equal([(10L, false), (20L, true)], steps);
        Assert.True(first.GetProperty("hasMore").GetBoolean());
        var last = Assert.Single(rest.GetProperty("data").EnumerateArray());
        Assert.Equal(30, last.GetProperty("step").GetInt64());
        Assert.False(last.GetProperty("published").GetBoolean());
    }

    [Fact]
    public async Task Launch_UnknownField_Returns400NamingIt()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);

        using var response = await http.PostAsync("/api/v1/jobs",
            new StringContent($$"""{"datasetId":"{{Guid.NewGuid()}}","baseModel":"bert-mini-random","epochz":500}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unknown_field", problem.GetProperty("code").GetString());
        Assert.Equal("epochz", problem.GetProperty("param").GetString());
    }

    [Fact]
    public async Task EveryResponse_CarriesRequestId()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);
        using var anonymous = portal.CreateClient();

        using var given = new HttpRequestMessage(HttpMethod.Get, "/api/v1/jobs");
        given.Headers.Add("X-Request-Id", "client-req-42");
        using var echoed = await http.SendAsync(given);
        using var ours = await http.GetAsync("/api/v1/jobs");
        using var unauthorized = await anonymous.GetAsync("/api/v1/jobs");
        using var missing = await http.GetAsync("/api/v1/nothing-here");

        Assert.Equal("client-req-42", echoed.Headers.GetValues("X-Request-Id").Single());
        Assert.All([ours, unauthorized, missing], r => Assert.False(string.IsNullOrEmpty(r.Headers.GetValues("X-Request-Id").Single())));
    }

    [Fact]
    public async Task ApiKeysAndUsage_OwnerKey_ListsCreatesRevokes()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);

        using var created = await http.PostAsJsonAsync("/api/v1/api-keys", new { name = "ci" });
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        var listed = await http.GetFromJsonAsync<JsonElement>("/api/v1/api-keys");
        using var newKey = Client(key.GetProperty("key").GetString()!);
        using var works = await newKey.GetAsync("/api/v1/jobs");
        using var revoked = await http.DeleteAsync($"/api/v1/api-keys/{key.GetProperty("id").GetGuid()}");
        using var refused = await newKey.GetAsync("/api/v1/jobs");
        using var usage = await http.GetAsync("/api/v1/usage");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("pk_", key.GetProperty("key").GetString());
        Assert.Equal(2, listed.GetProperty("data").GetArrayLength());
        Assert.DoesNotContain(key.GetProperty("key").GetString()!, listed.ToString());
        Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
        var summary = await usage.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Number, summary.GetProperty("usedGpuHours").ValueKind);
    }

    [Fact]
    public async Task BaseModels_Paginated()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);

        var first = await http.GetFromJsonAsync<JsonElement>("/api/v1/base-models?limit=1");
        var all = await http.GetFromJsonAsync<JsonElement>("/api/v1/base-models?limit=100");
        var next = await http.GetFromJsonAsync<JsonElement>($"/api/v1/base-models?limit=1&after={first.GetProperty("lastId").GetString()}");

        Assert.True(all.GetProperty("data").GetArrayLength() >= 2);
        Assert.True(first.GetProperty("hasMore").GetBoolean());
        Assert.Equal(all.GetProperty("data")[1].GetProperty("name").GetString(), next.GetProperty("data")[0].GetProperty("name").GetString());
        Assert.Contains(all.GetProperty("data").EnumerateArray(), m => m.GetProperty("name").GetString() == "bert-mini-random");
    }

    [Fact]
    public async Task Cors_Preflight_AnsweredForConfiguredOrigin()
    {
        using var configured = portal.WithWebHostBuilder(b => b.UseSetting("Api:Cors:Origins:0", "https://app.example.com"));
        using var http = configured.CreateClient();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/jobs");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,idempotency-key");
        using var response = await http.SendAsync(preflight);
        using var stranger = new HttpRequestMessage(HttpMethod.Options, "/api/v1/jobs");
        stranger.Headers.Add("Origin", "https://evil.example.net");
        stranger.Headers.Add("Access-Control-Request-Method", "POST");
        using var refused = await http.SendAsync(stranger);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://app.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task RateLimit_PastTheLimit_429WithRetryAfter()
    {
        using var limited = portal.WithWebHostBuilder(b => b.UseSetting("RateLimits:ApiRequestsPerMinute", "3"));
        var owner = await JobTestKit.OwnerAsync(portal);
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("limits"));
        using var http = limited.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 4; i++)
        {
            last?.Dispose();
            last = await http.GetAsync("/api/v1/jobs");
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(int.Parse(last!.Headers.GetValues("Retry-After").Single()) > 0);
        Assert.Equal("0", last.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType?.MediaType);
        last.Dispose();
    }

    [Fact]
    public async Task OpenApi_Document_EveryOperationTypedAndNamed()
    {
        using var http = portal.CreateClient();

        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var text = document.ToString();

        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString());
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Operation: o.Value))).ToList();
        Assert.True(operations.Count >= 25, $"{operations.Count} operations");
        Assert.All(operations, o => Assert.False(string.IsNullOrEmpty(o.Operation.GetProperty("operationId").GetString()), $"{o.Method} {o.Path}"));
        Assert.Equal(operations.Count, operations.Select(o => o.Operation.GetProperty("operationId").GetString()).Distinct().Count());
        // Every success response says what it returns (a schema), except 204s.
        foreach (var (path, method, operation) in operations)
        {
            var success = operation.GetProperty("responses").EnumerateObject().First(r => r.Name.StartsWith('2'));
            if (success.Name != "204")
                Assert.True(success.Value.TryGetProperty("content", out _), $"{method} {path} {success.Name}");
        }
        // Numbers are numbers: no integer-or-string with a pattern.
        Assert.DoesNotContain("\"pattern\"", text);
        var upload = document.GetProperty("paths").GetProperty("/api/v1/datasets").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties");
        Assert.Equal("binary", upload.GetProperty("file").GetProperty("format").GetString());
        Assert.True(upload.TryGetProperty("name", out _) && upload.TryGetProperty("textColumn", out _) && upload.TryGetProperty("labelColumn", out _));
        var predict = document.GetProperty("paths").GetProperty("/api/v1/models/{id}/predict").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.Equal("binary", predict.GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties").GetProperty("image").GetProperty("format").GetString());
        var events = document.GetProperty("paths").GetProperty("/api/v1/jobs/{id}/events").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.True(events.TryGetProperty("text/event-stream", out _) && events.TryGetProperty("application/json", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.Equal(["Queued", "Running", "Succeeded", "Failed", "Cancelled"], schemas.GetProperty("JobStateDto").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("progress", schemas.GetProperty("JobEventApiDto").GetProperty("properties").GetProperty("type").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["fast", "balanced", "best"], schemas.GetProperty("LaunchJobRequest").GetProperty("properties").GetProperty("preset").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["text", "image", "corpus", "tabular"], schemas.GetProperty("DatasetKindDto").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("date-time", schemas.GetProperty("JobDto").GetProperty("properties").GetProperty("createdAt").GetProperty("format").GetString());
        Assert.True(schemas.GetProperty("LaunchJobRequest").TryGetProperty("examples", out _));
        Assert.True(schemas.GetProperty("JobProgressDto").GetProperty("properties").TryGetProperty("etaSeconds", out _));
        Assert.True(schemas.GetProperty("ProblemDetails").GetProperty("properties").TryGetProperty("param", out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Launch_BodyThatIsNotJson_Returns415ProblemSayingWhatToSend(string? contentType)
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = await ApiAsync(owner);
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes("{\"baseModel\": \"bert-mini-random\"}"));
        if (contentType is not null)
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await SendAsync(http, HttpMethod.Post, "/api/v1/jobs", content, Guid.NewGuid().ToString());
        Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unsupported_media_type", problem.GetProperty("code").GetString());
        Assert.Contains("application/json", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(5000, "")]
    [InlineData(10, "\u202E")]
    [InlineData(10, "\u001B[31m")]
    public async Task Launch_NameTooLongOrWithHiddenCharacters_IsRefusedNotCut(int length, string hidden)
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        using var http = await ApiAsync(owner);
        var name = "invoice" + hidden + new string('x', length);

        using var response = await PostAsync(http, "/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random", preset = "fast", name }, Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Contains("job name", detail);
        Assert.Equal(0, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{owner.TenantId}'"));
    }

    private static MultipartFormDataContent CsvUpload(string name) => new()
    {
        { new StringContent(name), "name" },
        { new ByteArrayContent(TestFiles.GoodCsv()), "file", "tickets.csv" },
    };

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string url, object body, string key) =>
        SendAsync(http, HttpMethod.Post, url, JsonContent.Create(body), key);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, HttpContent content, string key)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Add("Idempotency-Key", key);
        return await http.SendAsync(request);
    }

    private static async Task<Guid> IdAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

    private static async Task<List<Guid>> IdsAsync(HttpClient http, string url) =>
        (await http.GetFromJsonAsync<JsonElement>(url)).GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();

    private async Task<List<DateTime>> CreatedAtAsync(IEnumerable<Guid> ids)
    {
        var result = new List<DateTime>();
        foreach (var id in ids)
            result.Add(await portal.Database.ScalarAsync<DateTime>($"SELECT created_at FROM jobs WHERE id = '{id}'"));
        return result;
    }

    private async Task<HttpClient> ApiAsync(Owner owner)
    {
        var created = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("tests"));
        Assert.True(created.IsSuccess, created.ToString());
        return Client(created.Value.PlainText);
    }

    private HttpClient Client(string key)
    {
        var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }
}
