using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Jobs.Portal;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

public sealed class JobPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task JobPages_OtherTenantsJob_AreNotFound()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, jobId);
        var stranger = await JobTestKit.OwnerAsync(portal);
        var strangerForm = await stranger.Client.GetAsync("/jobs/new");

        var page = await stranger.Client.GetAsync($"/jobs/{jobId}");
        var live = await stranger.Client.Http.GetAsync($"/jobs/{jobId}/live");
        var events = await stranger.Client.Http.GetAsync($"/jobs/{jobId}/events");
        var model = await stranger.Client.GetAsync($"/models/{jobId}");
        var download = await stranger.Client.Http.GetAsync($"/models/{jobId}/download");
        var token = strangerForm.Document.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var cancel = await stranger.Client.Http.PostAsync($"/jobs/{jobId}/cancel",
            new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal("Page not found", page.Text("h1"));
        Assert.DoesNotContain(jobId.ToString(), page.Html);
        Assert.Equal(HttpStatusCode.NotFound, live.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, events.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, model.Status);
        Assert.Equal("Page not found", model.Text("h1"));
        Assert.Equal(HttpStatusCode.NotFound, download.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal("Succeeded", await portal.Database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{jobId}'"));
    }

    [Fact]
    public async Task Events_EventWrittenAfterConnecting_IsDeliveredThenStreamEnds()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        // A guard against a hang, not a timing assertion.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var response = await owner.Client.Http.GetAsync($"/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead, guard.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(guard.Token));
        var first = await ReadEventAsync(reader, guard.Token);
        Assert.Equal("queued", first.Type);

        // Written after the stream sent what there was: only NOTIFY (or the keep-alive re-read) brings it.
        var cancelled = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CancelJobCommand>().ExecuteAsync(jobId));
        Assert.True(cancelled.IsSuccess);

        var next = await ReadEventAsync(reader, guard.Token);
        Assert.Equal("cancelled", next.Type);
        Assert.True(next.Id > first.Id);
        Assert.Contains("\"type\":\"cancelled\"", next.Data);
        var end = await ReadEventAsync(reader, guard.Token);
        Assert.Equal("end", end.Type);
        Assert.Contains("Cancelled", end.Data);
    }

    [Fact]
    public async Task Events_ProgressReported_EachReportArrivesAsStepEvent()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.ExecuteAsync(portal, $"UPDATE jobs SET progress = '{{\"step\": 1, \"totalSteps\": 16}}' WHERE id = '{jobId}'");
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var response = await owner.Client.Http.GetAsync($"/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead, guard.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(guard.Token));
        Assert.Equal("queued", (await ReadEventAsync(reader, guard.Token)).Type);
        // The progress there is on connecting comes at once.
        var current = await ReadEventAsync(reader, guard.Token);
        Assert.Equal("step", current.Type);
        Assert.Contains("\"step\":1,", current.Data);

        // A report as the worker writes it: progress without an event row, and the NOTIFY.
        foreach (var step in new[] { 2, 3 })
        {
            await JobTestKit.ExecuteAsync(portal, $$"""
                UPDATE jobs SET progress = '{"step": {{step}}, "totalSteps": 16, "loss": 0.5}' WHERE id = '{{jobId}}';
                SELECT pg_notify('platform_job_events', '{{jobId}}')
                """);
            var next = await ReadEventAsync(reader, guard.Token);
            Assert.Equal("step", next.Type);
            Assert.Equal(0, next.Id);
            Assert.Contains($"\"message\":\"Step {step} of 16\"", next.Data);
            Assert.Contains($"\"step\":{step},\"totalSteps\":16}}", next.Data);
        }
        Assert.Equal(0, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = '{jobId}' AND type = 'step'"));
    }

    [Fact]
    public async Task Events_LastEventId_ResumesAfterIt()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CancelJobCommand>().ExecuteAsync(jobId));
        var queuedId = await portal.Database.ScalarAsync<long>($"SELECT id FROM job_events WHERE job_id = '{jobId}' AND type = 'queued'");
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{jobId}/events");
        request.Headers.Add("Last-Event-ID", queuedId.ToString());

        using var response = await owner.Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, guard.Token);
        var body = await response.Content.ReadAsStringAsync(guard.Token);

        Assert.DoesNotContain("event: queued", body);
        Assert.Contains("event: cancelled", body);
        Assert.EndsWith("event: end\ndata: {\"state\":\"Cancelled\"}\n\n", body);
    }

    [Fact]
    public async Task Cancel_QueuedJob_ShowsCancelledWithoutCancelButton()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        var page = await owner.Client.GetAsync($"/jobs/{jobId}");

        var posted = await owner.Client.SubmitAsync(page, "#cancel-form");

        var after = await owner.Client.FollowAsync(posted);
        Assert.Equal("Cancelled", after.Document.QuerySelector(".job-state")!.GetAttribute("data-state"));
        Assert.False(after.Has("#cancel-job"));
        Assert.Equal("false", after.Document.QuerySelector("#job-live")!.GetAttribute("data-active"));
    }

    [Fact]
    public async Task Live_InterruptedAndFailedOnce_SaysWhichUsedAnAttemptAndSuccessLeavesNoError()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        // What requeue_job leaves after two infrastructure interruptions and one failure of the job's own.
        await JobTestKit.ExecuteAsync(portal, $"""
            UPDATE jobs SET attempt = 2, interruptions = 2, last_interruption = 'the worker stopped renewing its lease',
                error = 'Attempt 1 failed: CUDA out of memory' WHERE id = '{jobId}'
            """);

        var queued = await owner.Client.GetAsync($"/jobs/{jobId}/live");

        Assert.Equal("2 times", queued.Text("#job-interruptions"));
        Assert.Contains("the worker stopped renewing its lease", queued.Text("#job-interruption"));
        Assert.Contains("do not use the job's attempts", queued.Text("#job-interruption"));
        Assert.Equal("Attempt 1 failed: CUDA out of memory", queued.Text("#job-error"));
        Assert.Contains("alert-warning", queued.Document.QuerySelector("#job-error")!.ClassName);
        Assert.Equal("Waiting for a worker to resume it from its last checkpoint", queued.Text("#job-status-text"));

        // complete_and_claim clears the column itself (JobQueueTests); the page never shows a succeeded job's error.
        await JobTestKit.SucceedAsync(portal, jobId);
        var succeeded = await owner.Client.GetAsync($"/jobs/{jobId}/live");

        Assert.False(succeeded.Has("#job-error"));
        Assert.Equal("2 times", succeeded.Text("#job-interruptions"));
    }

    [Fact]
    public async Task Live_RunningJobWithEpochs_RendersProgressAndCurves()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        // What a worker writes while training: progress on the job, an event per finished epoch.
        await JobTestKit.ExecuteAsync(portal, $$"""
            UPDATE jobs SET state = 'Running', started_at = now(),
                progress = '{"step":6,"totalSteps":8,"epoch":2,"epochs":2,"loss":0.5123,"samplesPerSecond":40.5,"etaSeconds":12}'
            WHERE id = '{{jobId}}';
            INSERT INTO job_events (tenant_id, job_id, type, message, data) VALUES
                ('{{owner.TenantId}}', '{{jobId}}', 'epoch', 'Epoch 1', '{"epoch":1,"train_loss":1.1,"validation_loss":0.9,"validation_accuracy":0.5}');
            """);

        var live = await owner.Client.GetAsync($"/jobs/{jobId}/live");

        Assert.Equal("75", live.Document.QuerySelector("#job-progress [role=progressbar]")!.GetAttribute("aria-valuenow"));
        Assert.Equal("6 / 8", live.Text("#job-step"));
        Assert.Equal("0.5123", live.Text("#job-loss"));
        Assert.Equal("12 s", live.Text("#job-eta"));
        var training = live.Document.QuerySelectorAll("#loss-chart g.series[data-series=Training] circle");
        Assert.Equal(["1.1"], training.Select(c => c.GetAttribute("data-y")));
        Assert.Equal(["0.5"], live.Document.QuerySelectorAll("#accuracy-chart circle").Select(c => c.GetAttribute("data-y")));
    }

    [Fact]
    public async Task Live_LossPoints_DrawnAsStepCurveOnTheEpochAxis()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.ExecuteAsync(portal, $$"""
            UPDATE jobs SET state = 'Running', started_at = now(),
                progress = '{"step":60,"totalSteps":100,"epoch":2,"epochs":2,"loss":0.7}'
            WHERE id = '{{jobId}}';
            INSERT INTO job_events (tenant_id, job_id, type, message, data) VALUES
                ('{{owner.TenantId}}', '{{jobId}}', 'epoch', 'Epoch 1', '{"epoch":1,"train_loss":1.1,"validation_loss":0.9,"validation_accuracy":0.5}');
            """);
        await JobTestKit.AddLossPointsAsync(portal, jobId, totalSteps: 100, (10, 2.0), (30, 1.2), (60, 0.7));

        var live = await owner.Client.GetAsync($"/jobs/{jobId}/live");

        // Three step points, drawn as a bare line; the validation loss keeps its per-epoch dots.
        var training = live.Document.QuerySelector("#loss-chart g.series[data-series=Training]")!;
        Assert.Equal("3", training.GetAttribute("data-points"));
        Assert.Empty(training.QuerySelectorAll("circle"));
        Assert.Equal(["0.9"], live.Document.QuerySelectorAll("#loss-chart g.series[data-series=Validation] circle").Select(c => c.GetAttribute("data-y")));
    }

    [Fact]
    public async Task Live_JobWithMoreEventsThanTheOldLimit_ShowsNewestLinesAndEveryEpoch()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        // A long run: 6,000 log lines with an epoch after the first and after the last 3,000 (the page used
        // to read the oldest 5,000 events only, so it showed neither the newest lines nor epoch 2).
        await JobTestKit.ExecuteAsync(portal, $$"""
            UPDATE jobs SET state = 'Running', started_at = now() WHERE id = '{{jobId}}';
            INSERT INTO job_events (tenant_id, job_id, type, message, data)
            SELECT '{{owner.TenantId}}', '{{jobId}}', 'log', 'line ' || i, NULL FROM generate_series(1, 3000) i;
            INSERT INTO job_events (tenant_id, job_id, type, message, data) VALUES
                ('{{owner.TenantId}}', '{{jobId}}', 'epoch', 'Epoch 1', '{"epoch":1,"train_loss":1.1,"validation_loss":0.9,"validation_accuracy":0.5}');
            INSERT INTO job_events (tenant_id, job_id, type, message, data)
            SELECT '{{owner.TenantId}}', '{{jobId}}', 'log', 'line ' || i, NULL FROM generate_series(3001, 6000) i;
            INSERT INTO job_events (tenant_id, job_id, type, message, data) VALUES
                ('{{owner.TenantId}}', '{{jobId}}', 'epoch', 'Epoch 2', '{"epoch":2,"train_loss":0.8,"validation_loss":0.7,"validation_accuracy":0.75}');
            INSERT INTO job_events (tenant_id, job_id, type, message) VALUES ('{{owner.TenantId}}', '{{jobId}}', 'log', 'the newest line');
            """);

        var live = await owner.Client.GetAsync($"/jobs/{jobId}/live");

        var log = live.Document.QuerySelectorAll("#event-log li.event").ToList();
        Assert.Equal(200, log.Count);
        Assert.Equal("the newest line", log[0].QuerySelector(".event-message")!.TextContent);
        Assert.Equal("epoch", log[1].GetAttribute("data-type"));
        var ids = log.Select(e => long.Parse(e.GetAttribute("data-event-id")!)).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal(["0.5", "0.75"], live.Document.QuerySelectorAll("#accuracy-chart circle").Select(c => c.GetAttribute("data-y")));
    }

    private sealed record SseEvent(long Id, string Type, string Data);

    private static async Task<SseEvent> ReadEventAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        long id = 0;
        string? type = null;
        var data = "";
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is not null)
                    return new SseEvent(id, type, data);
                continue;
            }
            if (line.StartsWith("id: ", StringComparison.Ordinal))
                id = long.Parse(line[4..]);
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                data = line[6..];
        }
        throw new EndOfStreamException("The stream ended before the next event.");
    }
}
