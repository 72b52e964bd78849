using System.Text.RegularExpressions;
using Platform.Jobs.Launch;
using Platform.Jobs.Portal;
using Platform.Jobs.Queue;
using Platform.Web.Jobs;
using Platform.Domain.Jobs;

namespace Platform.Web.Api;

/// <summary>/api/v1/jobs: launch, list (newest first, by cursor, filtered), get, cancel, events, checkpoints, loss curve.</summary>
internal static partial class JobApi
{
    public static async Task<IResult> ListAsync(HttpRequest request, ApiJobQuery jobs, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!PageQuery.TryParse(request, out var page, out var problem) || !page.TryAfterGuid(out var after, out problem)
            || !JobFilterParser.TryParse(request, out var filter, out problem, kinds: true))
        {
            return problem!;
        }
        var rows = await jobs.ListAsync(filter, after, page.Fetch, cancellationToken);
        if (rows is null)
            return PageQuery.InvalidCursor();
        var now = clock.GetUtcNow();
        return Results.Ok(page.ToPage(rows.Select(r => JobDto.From(r, now)).ToList(), j => j.Id.ToString()));
    }

    public static async Task<IResult> GetAsync(Guid id, ApiJobQuery jobs, TimeProvider clock, CancellationToken cancellationToken) =>
        await jobs.GetAsync(id, cancellationToken) is { } row ? Results.Ok(JobDto.From(row, clock.GetUtcNow())) : JobNotFound();

    public static async Task<IResult> LaunchAsync(LaunchJobRequest request, LaunchJobCommand launch, ApiJobQuery jobs, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.BaseModel))
            return ApiProblem.Invalid("baseModel", "baseModel is required: a name from GET /api/v1/base-models.");
        var launched = await launch.ExecuteAsync(request, cancellationToken);
        return await CreatedAsync(launched, jobs, clock, cancellationToken);
    }

    public static async Task<IResult> LaunchPretrainingAsync(LaunchPretrainingRequest request, LaunchPretrainingCommand launch, ApiJobQuery jobs,
        TimeProvider clock, CancellationToken cancellationToken) =>
        await CreatedAsync(await launch.ExecuteAsync(request, cancellationToken), jobs, clock, cancellationToken);

    private static async Task<IResult> CreatedAsync(Platform.Domain.Common.Result<Guid> launched, ApiJobQuery jobs, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!launched.IsSuccess)
            return ApiProblem.From(launched, ParamOf(launched.Error));
        var row = await jobs.GetAsync(launched.Value, cancellationToken);
        return Results.Created($"/api/v1/jobs/{launched.Value}", JobDto.From(row!, clock.GetUtcNow()));
    }

    /// <summary>The request field a launch failure is about, when its message names one.</summary>
    private static string? ParamOf(string? error) => error switch
    {
        null => null,
        _ when error.Contains("preset", StringComparison.OrdinalIgnoreCase) => "preset",
        _ when error.Contains("base model", StringComparison.OrdinalIgnoreCase) || error.Contains("BERT", StringComparison.Ordinal)
            || error.Contains("CNN", StringComparison.Ordinal) => "baseModel",
        _ when error.Contains("Dataset not found", StringComparison.Ordinal) || error.Contains("dataset", StringComparison.Ordinal) => "datasetId",
        _ when error.Contains("name", StringComparison.Ordinal) => "name",
        _ => null,
    };

    /// <summary>
    /// Idempotent: cancelling a cancelled job, or one whose cancellation is already requested, answers
    /// the job as it is (200) and logs nothing new; a job that succeeded or failed cannot be cancelled (409).
    /// </summary>
    public static async Task<IResult> CancelAsync(Guid id, ApiJobQuery jobs, CancelJobCommand cancel, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (await jobs.GetAsync(id, cancellationToken) is not { } row)
            return JobNotFound();
        if (row.Job.Status is JobState.Succeeded or JobState.Failed)
            return ApiProblem.Create(StatusCodes.Status409Conflict, "job_finished", $"The job has already finished ({row.Job.State}): there is nothing to cancel.");
        if (row.Job.Status != JobState.Cancelled)
        {
            var cancelled = await cancel.ExecuteAsync(id, cancellationToken);
            // Finished between the read and the cancel: answer with the job as it ended.
            if (!cancelled.IsSuccess && cancelled.Status != Platform.Domain.Common.ResultStatus.Conflict)
                return ApiProblem.From(cancelled);
        }
        var now = await jobs.GetAsync(id, cancellationToken);
        return now!.Job.Status is JobState.Succeeded or JobState.Failed
            ? ApiProblem.Create(StatusCodes.Status409Conflict, "job_finished", $"The job has already finished ({now.Job.State}): there is nothing to cancel.")
            : Results.Ok(JobDto.From(now, clock.GetUtcNow()));
    }

    /// <summary>
    /// Server-sent events by default; with Accept: application/json (and not text/event-stream) a page of
    /// events after ?after= (an event id), oldest first (or newest first with ?order=newest, ?after= then
    /// paging back), optionally of one ?type=. A long job's latest lines are one request away.
    /// </summary>
    public static async Task<IResult> EventsAsync(Guid id, HttpRequest request, ApiJobQuery jobs, CancellationToken cancellationToken)
    {
        if (await jobs.GetAsync(id, cancellationToken) is null)
            return JobNotFound();
        if (!WantsJson(request))
        {
            var afterText = request.Query["after"].ToString();
            if (afterText.Length > 0 && (!long.TryParse(afterText, out var start) || start < 0))
                return ApiProblem.Invalid("after", "after is an event id (a whole number).");
            return new JobEventStreamResult(id, JobEventStreamResult.AfterFrom(request));
        }
        if (!PageQuery.TryParse(request, out var page, out var problem))
            return problem!;
        long after = 0;
        if (page.After is { } text && (!long.TryParse(text, out after) || after < 0))
            return ApiProblem.Invalid("after", "after is an event id (a whole number): the lastId of the previous page.");
        var type = request.Query["type"].ToString() is { Length: > 0 } t ? t : null;
        if (type is { Length: > 32 })
            return ApiProblem.Invalid("type", "type is an event type such as epoch or checkpoint.");
        var newest = request.Query["order"].ToString() switch
        {
            "" or "oldest" => false,
            "newest" => true,
            _ => (bool?)null,
        };
        if (newest is null)
            return ApiProblem.Invalid("order", "order is oldest (the default) or newest.");
        var events = await jobs.EventsAsync(id, after, page.Fetch, type, newest.Value, cancellationToken);
        return Results.Ok(page.ToPage(events.Select(JobEventApiDto.From).ToList(), e => e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>JSON only when the client asks for it and does not also accept the stream.</summary>
    internal static bool WantsJson(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        return accept.Any(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            && !accept.Any(a => a.MediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase));
    }

    public static async Task<IResult> CheckpointsAsync(Guid id, HttpRequest request, ApiJobQuery jobs, CancellationToken cancellationToken)
    {
        if (await jobs.GetAsync(id, cancellationToken) is null)
            return JobNotFound();
        if (!PageQuery.TryParse(request, out var page, out var problem))
            return problem!;
        long after = 0;
        if (page.After is { } text && (!long.TryParse(text, out after) || after < 0))
            return ApiProblem.Invalid("after", "after is a checkpoint's step: the lastId of the previous page.");
        var resume = await jobs.ResumeStepAsync(id, cancellationToken);
        // A checkpoint is saved once per run that reaches its step; the newest save of a step is the one that counts.
        var saved = new SortedDictionary<long, CheckpointDto>();
        long lastEvent = 0;
        while (true)
        {
            var events = await jobs.EventsAsync(id, lastEvent, 1000, "checkpoint", newest: false, cancellationToken);
            foreach (var e in events)
            {
                if (StepPattern().Match(e.Message) is { Success: true } m && long.TryParse(m.Groups[1].Value, out var step) && step > after)
                    saved[step] = new CheckpointDto(step, e.At, !e.Message.Contains("on the worker", StringComparison.Ordinal), step == resume, e.Message);
            }
            if (events.Count < 1000)
                break;
            lastEvent = events[^1].Id;
        }
        return Results.Ok(page.ToPage(saved.Values.Take(page.Fetch).ToList(), c => c.Step.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public static async Task<IResult> LossCurveAsync(Guid id, HttpRequest request, JobQueries jobs, CancellationToken cancellationToken)
    {
        if (await jobs.GetAsync(id, cancellationToken) is null)
            return JobNotFound();
        var pointsText = request.Query["points"].ToString();
        var points = 300;
        if (pointsText.Length > 0 && (!int.TryParse(pointsText, out points) || points is < 2 or > 5000))
            return ApiProblem.Invalid("points", "points is a whole number from 2 to 5000.");
        return Results.Ok(await jobs.LossCurveAsync(id, points, cancellationToken));
    }

    internal static IResult JobNotFound() => ApiProblem.NotFound("No such job.");

    [GeneratedRegex(@"step (\d+)")]
    private static partial Regex StepPattern();
}
