using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Billing;

namespace Platform.Billing.Finance;

public sealed record TenantUsage(Guid TenantId, string TenantName, string DeviceKind, long Seconds, long Segments);

public sealed record JobUsage(Guid JobId, string? JobName, string DeviceKind, long Seconds, long Segments,
    DateTimeOffset FirstStartedAt, DateTimeOffset LastEndedAt);

/// <summary>Where a page of <see cref="FinanceUsageQueries.ByJobAsync"/> ends: the next page starts after this row.</summary>
public sealed record JobUsageCursor(DateTimeOffset LastEndedAt, Guid JobId, string DeviceKind)
{
    /// <summary>The cursor as a query-string value: the end in ticks, the job and the device.</summary>
    public override string ToString() => $"{LastEndedAt.UtcTicks}_{JobId:N}_{DeviceKind}";

    public static bool TryParse(string? text, out JobUsageCursor? cursor)
    {
        cursor = null;
        var parts = text?.Split('_');
        if (parts is not { Length: 3 } || !long.TryParse(parts[0], out var ticks) || ticks < 0 || ticks > DateTime.MaxValue.Ticks
            || !Guid.TryParse(parts[1], out var job) || parts[2] is not ("cpu" or "cuda"))
            return false;
        cursor = new JobUsageCursor(new DateTimeOffset(ticks, TimeSpan.Zero), job, parts[2]);
        return true;
    }
}

/// <summary>
/// What a tenant's usage in a window comes to, per job and device (the drill-down's rows) and in all. Null charges
/// mean the tenant has no plan.
/// </summary>
public sealed record JobCharges(IReadOnlyDictionary<(Guid JobId, string DeviceKind), UsageCharge> ByJob, UsageCharge Total);

/// <summary>A tenant's usage in a window: seconds per device class and how many jobs ran.</summary>
public sealed record TenantUsageTotals(long GpuSeconds, long CpuSeconds, long Jobs);

/// <summary>
/// Finance's view of the ledger across tenants (the web tier allows it to finance and platform
/// admins only): usage by tenant and device class for a window, drill-down to jobs a page at a time, and the rows for
/// the CSV export, streamed. Windows are [from, to) on the segment's end, as periods are.
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

    /// <summary>
    /// One page of a tenant's jobs in a window, the latest run first: (last end, job, device) descending
    /// from <paramref name="after"/>. A busy tenant runs thousands of jobs a month; the page reads the
    /// window's ledger rows by ix_usage_ledger_tenant_ended and renders only <paramref name="limit"/>.
    /// </summary>
    public async Task<IReadOnlyList<JobUsage>> ByJobAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, JobUsageCursor? after = null,
        int limit = 50, CancellationToken cancellationToken = default)
    {
        // Names are looked up for the page's jobs alone (by primary key), never joined over all jobs.
        await using var command = dataSource.CreateCommand("""
            SELECT u.job_id, (SELECT j.name FROM job_names j WHERE j.id = u.job_id), u.device_kind, u.seconds, u.segments, u.first_started, u.last_ended
            FROM (SELECT l.job_id, l.device_kind, sum(l.seconds)::bigint AS seconds, count(*) AS segments,
                         min(l.started_at) AS first_started, max(l.ended_at) AS last_ended
                  FROM usage_ledger l
                  WHERE l.tenant_id = $1 AND l.ended_at >= $2 AND l.ended_at < $3
                  GROUP BY l.job_id, l.device_kind) u
            WHERE $4::timestamptz IS NULL OR (u.last_ended, u.job_id, u.device_kind) < ($4, $5, $6)
            ORDER BY u.last_ended DESC, u.job_id DESC, u.device_kind DESC
            LIMIT $7
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after?.LastEndedAt.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after?.JobId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after?.DeviceKind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, 1000) });
        var list = new List<JobUsage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new JobUsage(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2),
                reader.GetInt64(3), reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return list;
    }

    /// <summary>A tenant's totals in a window: seconds by device class and the number of jobs, whatever page is shown.</summary>
    public async Task<TenantUsageTotals> TotalsAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT coalesce(sum(l.seconds) FILTER (WHERE l.device_kind = 'cuda'), 0)::bigint,
                   coalesce(sum(l.seconds) FILTER (WHERE l.device_kind = 'cpu'), 0)::bigint,
                   count(DISTINCT l.job_id)
            FROM usage_ledger l
            WHERE l.tenant_id = $1 AND l.ended_at >= $2 AND l.ended_at < $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TenantUsageTotals(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>
    /// The charge of each of a tenant's jobs in a window, priced row by row as the export prices them (decision 0041):
    /// a page of the drill-down shows a few jobs, but the period's included hours go to its earliest usage, so every
    /// row of the window is priced, in the order the rows ended. Null when the tenant has no plan.
    /// </summary>
    public async Task<JobCharges?> ChargesByJobAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var byJob = new Dictionary<(Guid, string), (Dictionary<string, decimal> Amounts, long Billable)>();
        var total = new Dictionary<string, decimal>();
        long billable = 0;
        var charged = false;
        await foreach (var row in ExportRowsAsync(from, to, tenantId, cancellationToken))
        {
            if (row is not { Charge: { } amount, Currency: { } currency })
                continue;
            charged = true;
            var key = (row.JobId, row.DeviceKind);
            if (!byJob.TryGetValue(key, out var job))
                job = (new Dictionary<string, decimal>(), 0);
            job.Amounts[currency] = job.Amounts.GetValueOrDefault(currency) + amount;
            byJob[key] = (job.Amounts, job.Billable + row.BillableSeconds);
            total[currency] = total.GetValueOrDefault(currency) + amount;
            billable += row.BillableSeconds;
        }
        if (!charged)
            return await HasPlanAsync(tenantId, cancellationToken) ? new JobCharges(new Dictionary<(Guid, string), UsageCharge>(), UsageCharge.None) : null;
        return new JobCharges(byJob.ToDictionary(j => j.Key, j => Charge(j.Value.Amounts, j.Value.Billable)), Charge(total, billable));
    }

    private static UsageCharge Charge(Dictionary<string, decimal> amounts, long billable) =>
        new(amounts.Select(a => new Money(a.Value, a.Key)).ToList(), billable);

    private async Task<bool> HasPlanAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await Plans.SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken) is not null;
    }

    /// <summary>An organisation's name for the drill-down's heading; null when there is no such tenant.</summary>
    public async Task<string?> TenantNameAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT name FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The CSV export of a window as text (<see cref="UsageCsv.Write"/>); the endpoint streams <see cref="ExportRowsAsync"/> instead.</summary>
    public async Task<string> ExportCsvAsync(DateTimeOffset from, DateTimeOffset to, Guid? tenantId = null,
        CancellationToken cancellationToken = default)
    {
        var rows = new List<UsageExportRow>();
        await foreach (var row in ExportRowsAsync(from, to, tenantId, cancellationToken))
            rows.Add(row);
        return UsageCsv.Write(rows);
    }

    /// <summary>
    /// The ledger rows of a window, optionally for one tenant, as they are read: a month of every tenant is
    /// hundreds of thousands of rows, written to the response without being held. Names are looked up per
    /// row by primary key (a join would hash the whole jobs table first).
    /// </summary>
    public async IAsyncEnumerable<UsageExportRow> ExportRowsAsync(DateTimeOffset from, DateTimeOffset to, Guid? tenantId = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT l.idempotency_key, l.tenant_id, coalesce((SELECT t.name FROM tenants t WHERE t.id = l.tenant_id), ''), l.job_id,
                   (SELECT j.name FROM job_names j WHERE j.id = l.job_id), l.attempt, l.segment, l.device_kind,
                   l.started_at, l.ended_at, l.seconds
            FROM usage_ledger l
            WHERE l.ended_at >= $1 AND l.ended_at < $2 AND ($3::uuid IS NULL OR l.tenant_id = $3)
            ORDER BY l.tenant_id, l.ended_at, l.idempotency_key
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        // Each row is charged what it adds to its billing period's price, in the order the rows ended
        // (UsageCharges, decision 0041); plans and earlier usage are read on a second connection.
        await using var pricing = await dataSource.OpenConnectionAsync(cancellationToken);
        Guid? chargedTenant = null;
        Plans.Subscription? subscription = null;
        PeriodCharge? charge = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new UsageExportRow(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetGuid(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9), reader.GetInt64(10));
            if (row.TenantId != chargedTenant)
            {
                chargedTenant = row.TenantId;
                subscription = await Plans.SubscriptionReader.ReadAsync(pricing, null, row.TenantId, cancellationToken);
                charge = null;
            }
            if (subscription is not null)
            {
                if (charge is null || !charge.Period.Contains(row.EndedAt))
                {
                    var period = subscription.PeriodContaining(row.EndedAt);
                    charge = await UsageCharges.StartAsync(pricing, subscription, period, period.Start > from ? period.Start : from, cancellationToken);
                }
                if (charge.Currency is { } currency)
                {
                    var (amount, billable) = charge.Add(row.EndedAt, row.DeviceKind, row.Seconds);
                    row = row with { BillableSeconds = billable, Charge = amount, Currency = currency };
                }
            }
            yield return row;
        }
    }
}
