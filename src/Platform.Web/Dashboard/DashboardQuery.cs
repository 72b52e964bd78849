using Microsoft.EntityFrameworkCore;
using Npgsql;
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

/// <summary>The current tenant's dashboard: counts, the newest few datasets, jobs and models.</summary>
public sealed class DashboardQuery(PlatformDbContext db, NpgsqlDataSource dataSource, ICurrentTenant current)
{
    public const int RecentCount = 5;

    public async Task<DashboardCounts> CountsAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return new DashboardCounts(0, 0, 0, 0, 0, 0, 0, 0);
        // The tenant's query filters scope these to the current organisation.
        var datasets = await db.Datasets.CountAsync(cancellationToken);
        var examples = await db.Datasets.SumAsync(d => (long)d.RowCount, cancellationToken);
        var members = await db.TenantMemberships.CountAsync(cancellationToken);
        var invitations = await db.Invitations.CountAsync(cancellationToken);
        await using var command = dataSource.CreateCommand("""
            SELECT count(*)::int,
                   count(*) FILTER (WHERE state IN ('Queued', 'Running'))::int,
                   count(*) FILTER (WHERE state = 'Succeeded' AND kind = 'train')::int,
                   count(*) FILTER (WHERE state = 'Succeeded' AND kind = 'train' AND (result ? 'modelFolder' OR result ? 'modelDirectory'))::int
            FROM jobs WHERE tenant_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new DashboardCounts(datasets, examples, members, invitations, reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
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
        ListAsync("TRUE", cancellationToken);

    /// <summary>The newest models: succeeded training jobs whose model was not deleted.</summary>
    public Task<IReadOnlyList<JobView>> RecentModelsAsync(CancellationToken cancellationToken = default) =>
        ListAsync("state = 'Succeeded' AND kind = 'train' AND (result ? 'modelFolder' OR result ? 'modelDirectory')", cancellationToken);

    private async Task<IReadOnlyList<JobView>> ListAsync(string condition, CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand($"""
            SELECT id, name, kind, state, attempt, max_attempts, NULL::text, result::text, error,
                   cancel_requested_at IS NOT NULL, created_at, started_at, finished_at, payload::text
            FROM jobs WHERE tenant_id = $1 AND {condition}
            ORDER BY created_at DESC, id DESC LIMIT {RecentCount}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        var jobs = new List<JobView>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            jobs.Add(new JobView(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), null,
                r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetBoolean(9),
                r.GetFieldValue<DateTimeOffset>(10), r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11),
                r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12), r.GetString(13)));
        }
        return jobs;
    }
}
