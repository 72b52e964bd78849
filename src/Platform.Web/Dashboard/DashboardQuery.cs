using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Jobs.Portal;

namespace Platform.Web.Dashboard;

/// <summary>
/// The counts behind the dashboard and its getting-started checklist, each an aggregate in PostgreSQL:
/// a tenant with thousands of datasets or jobs costs the same page as one with a few.
/// </summary>
public sealed record DashboardCounts(int Datasets, long Examples, int Members, int Invitations, int Jobs, int ActiveJobs, int SucceededJobs, int Models);

/// <summary>
/// The current tenant's dashboard: counts, the newest few datasets, jobs and models. The datasets,
/// members and invitations are read here through the Data module's context; the jobs and models come
/// from the Jobs module, which owns their tables (<see cref="JobSummaryQuery"/>, docs/decisions/0048).
/// </summary>
public sealed class DashboardQuery(PlatformDbContext db, JobSummaryQuery jobs, ICurrentTenant current)
{
    public const int RecentCount = 5;

    public async Task<DashboardCounts> CountsAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is null)
            return new DashboardCounts(0, 0, 0, 0, 0, 0, 0, 0);
        // The tenant's query filters scope these to the current organisation.
        var datasets = await db.Datasets.CountAsync(cancellationToken);
        var examples = await db.Datasets.SumAsync(d => (long)d.RowCount, cancellationToken);
        var members = await db.TenantMemberships.CountAsync(cancellationToken);
        var invitations = await db.Invitations.CountAsync(cancellationToken);
        var jobCounts = await jobs.CountsAsync(cancellationToken);
        return new DashboardCounts(datasets, examples, members, invitations,
            jobCounts.Jobs, jobCounts.ActiveJobs, jobCounts.SucceededJobs, jobCounts.Models);
    }

    public async Task<IReadOnlyList<DatasetSummary>> RecentDatasetsAsync(CancellationToken cancellationToken = default)
    {
        var datasets = await db.Datasets.AsNoTracking().OrderByDescending(d => d.CreatedAt).Take(RecentCount).ToListAsync(cancellationToken);
        return datasets
            .Select(d => new DatasetSummary(d.Id, d.Name, d.Version, d.Kind, d.RowCount, d.LabelCounts.Count, d.SizeBytes, d.Warnings.Count, d.CreatedAt))
            .ToList();
    }

    /// <summary>The newest jobs of any state and kind.</summary>
    public Task<IReadOnlyList<JobView>> RecentJobsAsync(CancellationToken cancellationToken = default) =>
        jobs.RecentJobsAsync(RecentCount, cancellationToken);

    /// <summary>The newest models: succeeded training jobs whose model was not deleted.</summary>
    public Task<IReadOnlyList<JobView>> RecentModelsAsync(CancellationToken cancellationToken = default) =>
        jobs.RecentModelsAsync(RecentCount, cancellationToken);
}
