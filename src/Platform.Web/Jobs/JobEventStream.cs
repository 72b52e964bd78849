using System.Text;
using System.Text.Json;
using Platform.Jobs.Portal;

namespace Platform.Web.Jobs;

/// <summary>An event as the stream and the API send it: Data is the worker's JSON, inlined, its names in camelCase.</summary>
public sealed record JobEventDto(long Id, DateTimeOffset At, string Type, string Message, JsonElement? Data)
{
    public static JobEventDto From(JobEventView e)
    {
        JsonElement? data = null;
        if (e.DataJson is not null)
        {
            using var document = JsonDocument.Parse(e.DataJson);
            // Workers and SQL write their own names (epoch data in PascalCase); clients read camelCase only.
            data = Api.JsonNames.CamelCase(document.RootElement);
        }
        return new JobEventDto(e.Id, e.At, e.Type, e.Message, data);
    }
}

/// <summary>
/// A job's events as server-sent events (text/event-stream): every event after Last-Event-ID (or
/// ?after=), then each new one as NOTIFY signals it, a keep-alive comment when quiet, and a final
/// "end" event once the job has finished. Between them, a "step" event (without an id) carries the
/// job's progress whenever it changed: the current step at once on connecting, then each progress
/// report the worker writes (every report NOTIFYs). Steps are not rows of the event log (one a second
/// per job would bury it); a client that reconnects gets the latest step straight away, which is all
/// a step is worth once passed. The portal's job page and the REST API share it.
/// </summary>
internal sealed class JobEventStreamResult(Guid jobId, long after) : IResult
{
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private const int Batch = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Where to resume: the browser's Last-Event-ID on a reconnect wins over the query string.</summary>
    public static long AfterFrom(HttpRequest request) =>
        long.TryParse(request.Headers["Last-Event-ID"], out var lastId) ? lastId
        : long.TryParse(request.Query["after"], out var after) ? after
        : 0;

    public async Task ExecuteAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var jobs = services.GetRequiredService<JobQueries>();
        var signals = services.GetRequiredService<JobEventSignals>();
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        // Open streams must not hold up a shutdown: they end with the application, and browsers reconnect.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = cancellation.Token;

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // Reverse proxies (nginx) would otherwise buffer the stream into silence.
        response.Headers["X-Accel-Buffering"] = "no";

        // Subscribed before the first read, so an event written in between still wakes us.
        using var subscription = signals.Subscribe(jobId);
        var last = after;
        string? lastProgress = null;
        try
        {
            await response.WriteAsync("retry: 3000\n\n", ct);
            await response.Body.FlushAsync(ct);
            while (true)
            {
                last = await SendNewEventsAsync(jobs, response, last, ct);
                var job = await jobs.GetAsync(jobId, ct);
                lastProgress = await SendStepAsync(response, job?.ProgressJson, lastProgress, ct);
                if (job is null || !job.IsActive)
                {
                    // The final events may have been written together with the state change.
                    last = await SendNewEventsAsync(jobs, response, last, ct);
                    await response.WriteAsync($"event: end\ndata: {JsonSerializer.Serialize(new { state = job?.State }, Json)}\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    return;
                }
                if (!await subscription.WaitAsync(KeepAlive, ct))
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away or the server is stopping.
        }
    }

    /// <summary>Sends the job's progress as a "step" event when it differs from what was sent last.</summary>
    private static async Task<string?> SendStepAsync(HttpResponse response, string? progressJson, string? sent, CancellationToken ct)
    {
        if (progressJson is null || progressJson == sent)
            return sent;
        using var document = JsonDocument.Parse(progressJson);
        var progress = JobProgress.Parse(progressJson);
        var step = new
        {
            At = DateTimeOffset.UtcNow,
            Type = "step",
            Message = progress is null ? "Progress" : $"Step {progress.Step} of {progress.TotalSteps}",
            Data = document.RootElement,
        };
        await response.WriteAsync($"event: step\ndata: {JsonSerializer.Serialize(step, Json)}\n\n", ct);
        await response.Body.FlushAsync(ct);
        return progressJson;
    }

    private async Task<long> SendNewEventsAsync(JobQueries jobs, HttpResponse response, long last, CancellationToken ct)
    {
        while (true)
        {
            var events = await jobs.EventsAsync(jobId, last, Batch, ct);
            if (events.Count == 0)
                return last;
            var text = new StringBuilder();
            foreach (var e in events)
            {
                text.Append("id: ").Append(e.Id).Append('\n')
                    .Append("event: ").Append(e.Type).Append('\n')
                    .Append("data: ").Append(JsonSerializer.Serialize(JobEventDto.From(e), Json)).Append("\n\n");
                last = e.Id;
            }
            await response.WriteAsync(text.ToString(), ct);
            await response.Body.FlushAsync(ct);
            if (events.Count < Batch)
                return last;
        }
    }
}
