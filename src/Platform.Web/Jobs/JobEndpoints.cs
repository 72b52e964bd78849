using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Jobs.Portal;
using Platform.Web.Accounts;
using Platform.Web.Components.Pages.Jobs;

namespace Platform.Web.Jobs;

internal static class JobEndpoints
{
    /// <summary>The newest events the job page shows in its log; the stream carries everything.</summary>
    public const int LogLength = 200;

    public static void MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/jobs/{id:guid}").RequireAuthorization(PortalPolicies.TenantMember);
        jobs.MapGet("/events", EventsAsync);
        // The live panel alone, as the job page renders it (the page follows the job over its circuit).
        jobs.MapGet("/live", LiveAsync);
        jobs.MapPost("/cancel", CancelAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
    }

    private static async Task<IResult> EventsAsync(Guid id, HttpRequest request, JobQueries jobs, CancellationToken cancellationToken) =>
        await jobs.GetAsync(id, cancellationToken) is null
            ? Results.NotFound()
            : new JobEventStreamResult(id, JobEventStreamResult.AfterFrom(request));

    private static async Task<IResult> LiveAsync(Guid id, JobQueries jobs, CancellationToken cancellationToken)
    {
        var live = await JobLiveData.LoadAsync(jobs, id, cancellationToken);
        return live is null
            ? Results.NotFound()
            : new RazorComponentResult<JobLive>(new Dictionary<string, object?> { [nameof(JobLive.Data)] = live });
    }

    private static async Task<IResult> CancelAsync(Guid id, JobQueries jobs, CancelJobCommand cancel, CancellationToken cancellationToken)
    {
        if (await jobs.GetAsync(id, cancellationToken) is null)
            return Results.NotFound();
        // A job that finished meanwhile is not an error for the user: the page shows how it ended.
        await cancel.ExecuteAsync(id, cancellationToken);
        return Results.Redirect($"/jobs/{id}");
    }
}

/// <summary>Everything the live part of the job page renders, read once per refresh.</summary>
public sealed record JobLiveData(JobView Job, JobProgress? Progress, IReadOnlyList<EpochPoint> Epochs,
    IReadOnlyList<LossPointView> LossCurve, IReadOnlyList<JobEventView> Log)
{
    /// <summary>The finished job's result as stored: scores, baseline and the verdict on them.</summary>
    public Platform.Jobs.Training.JobResult? Result { get; } = Platform.Jobs.Training.JobResult.Parse(Job.ResultJson);

    public static async Task<JobLiveData?> LoadAsync(JobQueries jobs, Guid id, CancellationToken cancellationToken)
    {
        var job = await jobs.GetAsync(id, cancellationToken);
        if (job is null)
            return null;
        // The newest lines and every epoch, whatever the job's length: a long job's log is its end.
        var log = await jobs.NewestEventsAsync(id, JobEndpoints.LogLength, cancellationToken);
        var epochs = await jobs.EpochEventsAsync(id, cancellationToken);
        var lossCurve = await jobs.LossCurveAsync(id, cancellationToken: cancellationToken);
        return new JobLiveData(job, JobProgress.Parse(job.ProgressJson), EpochPoint.From(epochs), lossCurve, log);
    }
}
