using Npgsql;

namespace Platform.Billing.Finance;

public sealed record TenantUsage(Guid TenantId, string TenantName, string DeviceKind, long Seconds, long Segments);

public sealed record JobUsage(Guid JobId, string? JobName, string DeviceKind, long Seconds, long Segments,
    DateTimeOffset FirstStartedAt, DateTimeOffset LastEndedAt);

/// <summary>
/// Finance's view of the ledger across tenants (the web tier allows it to finance and platform
/// admins only): usage by tenant and device class for a window, drill-down to jobs, and the rows for
/// the CSV export. Windows are [from, to) on the segment's end, as periods are.
/// </summary>
public sealed class FinanceUsageQueries(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<TenantUsage>> ByTenantAsync(DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT l.tenant_id, coalesce(t.name, '(deleted)'), l.device_kind, sum(l.seconds)::bigint, count(*)
            FROM usage_ledger l LEFT JOIN tenants t ON t.id = l.tenant_id
            WHERE l.ended_at >= $1 AND l.ended_at < $2
            GROUP BY l.tenant_id, t.name, l.device_kind
            ORDER BY 2, 3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        var list = new List<TenantUsage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new TenantUsage(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        return list;
    }

    public async Task<IReadOnlyList<JobUsage>> ByJobAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT l.job_id, j.name, l.device_kind, sum(l.seconds)::bigint, count(*), min(l.started_at), max(l.ended_at)
            FROM usage_ledger l LEFT JOIN jobs j ON j.id = l.job_id
            WHERE l.tenant_id = $1 AND l.ended_at >= $2 AND l.ended_at < $3
            GROUP BY l.job_id, j.name, l.device_kind
            ORDER BY max(l.ended_at) DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        var list = new List<JobUsage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new JobUsage(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2),
                reader.GetInt64(3), reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return list;
    }

    /// <summary>An organisation's name for the drill-down's heading; null when there is no such tenant.</summary>
    public async Task<string?> TenantNameAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT name FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The CSV export of a window, optionally for one tenant (<see cref="UsageCsv.Write"/> renders it).</summary>
    public async Task<string> ExportCsvAsync(DateTimeOffset from, DateTimeOffset to, Guid? tenantId = null,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT l.idempotency_key, l.tenant_id, coalesce(t.name, ''), l.job_id, j.name, l.attempt, l.segment, l.device_kind,
                   l.started_at, l.ended_at, l.seconds
            FROM usage_ledger l LEFT JOIN tenants t ON t.id = l.tenant_id LEFT JOIN jobs j ON j.id = l.job_id
            WHERE l.ended_at >= $1 AND l.ended_at < $2 AND ($3::uuid IS NULL OR l.tenant_id = $3)
            ORDER BY l.tenant_id, l.ended_at, l.idempotency_key
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var rows = new List<UsageExportRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new UsageExportRow(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetGuid(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9), reader.GetInt64(10)));
        }
        return UsageCsv.Write(rows);
    }
}
