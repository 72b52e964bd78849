using Npgsql;
using Platform.Domain.Common;

namespace Platform.Jobs.Portal;

/// <summary>The current tenant's job counts: all, queued or running, succeeded training runs, and models (those whose model is still there).</summary>
public sealed record JobCounts(int Jobs, int ActiveJobs, int SucceededJobs, int Models);

/// <summary>
/// What the dashboard shows of the current tenant's jobs: the counts, one aggregate in PostgreSQL (a
/// tenant with thousands of jobs costs the same as one with a few), and the newest few jobs and models.
/// Every statement filters by the tenant from <see cref="ICurrentTenant"/>; without one nothing is returned.
/// </summary>
public sealed class JobSummaryQuery(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    public async Task<JobCounts> CountsAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return new JobCounts(0, 0, 0, 0);
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
        return new JobCounts(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
    }

    /// <summary>The newest <paramref name="count"/> jobs of any state and kind.</summary>
    public Task<IReadOnlyList<JobView>> RecentJobsAsync(int count, CancellationToken cancellationToken = default) =>
        ListAsync("TRUE", count, cancellationToken);

    /// <summary>The newest <paramref name="count"/> models: succeeded training jobs whose model was not deleted.</summary>
    public Task<IReadOnlyList<JobView>> RecentModelsAsync(int count, CancellationToken cancellationToken = default) =>
        ListAsync("state = 'Succeeded' AND kind = 'train' AND (result ? 'modelFolder' OR result ? 'modelDirectory')", count, cancellationToken);

    private async Task<IReadOnlyList<JobView>> ListAsync(string condition, int count, CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        // Both lists walk the tenant's jobs newest first and stop at the count; an int, so written into the text.
        await using var command = dataSource.CreateCommand($"""
            SELECT id, name, kind, state, attempt, max_attempts, NULL::text, result::text, error,
                   cancel_requested_at IS NOT NULL, created_at, started_at, finished_at, payload::text
            FROM jobs WHERE tenant_id = $1 AND {condition}
            ORDER BY created_at DESC, id DESC LIMIT {Math.Clamp(count, 1, 100)}
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
