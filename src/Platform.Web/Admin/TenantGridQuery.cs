using Npgsql;
using NpgsqlTypes;
using Platform.Billing.Plans;
using Platform.Jobs.Portal;

namespace Platform.Web.Admin;

/// <summary>One row of the admin's tenants grid: the organisation, its plan now and its device time this month.</summary>
public sealed record TenantGridRow(
    Guid Id,
    string Name,
    string Slug,
    string Status,
    DateTimeOffset CreatedAt,
    Guid? PlanId,
    string? PlanName,
    long UsageSeconds,
    long Members,
    long Datasets);

/// <summary>What the tenants grid asks for: a page, a sort, and the name, status and plan filters.</summary>
/// <param name="PlanId">A plan's id; <see cref="Guid.Empty"/> asks for the tenants without a plan.</param>
public sealed record TenantGridRequest(
    int Page = 0,
    int PageSize = 25,
    string? SortBy = null,
    bool Descending = false,
    string? Search = null,
    string? Status = null,
    Guid? PlanId = null);

/// <summary>
/// The platform admin's tenants grid (callers check the PlatformAdmin policy): one page, sorted and
/// filtered in PostgreSQL like the jobs grid (docs/decisions/0038, 0041). Usage is the device seconds
/// metered in the current calendar month (UTC), read from the ledger's end-time index; erased
/// organisations are not listed.
/// </summary>
public sealed class TenantGridQuery(NpgsqlDataSource dataSource, PlanQueries plans, TimeProvider clock)
{
    public static readonly string[] Statuses = ["Active", "Suspended"];

    // Sortable columns by the names the grid uses; anything else sorts by name.
    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.Ordinal)
    {
        ["Name"] = "t.name",
        ["Status"] = "t.status",
        ["CreatedAt"] = "t.created_at",
        ["PlanName"] = "p.plan_name",
        ["UsageSeconds"] = "coalesce(u.seconds, 0)",
    };

    public async Task<GridPage<TenantGridRow>> ListAsync(TenantGridRequest request, CancellationToken cancellationToken = default)
    {
        var order = request.SortBy is not null && SortColumns.TryGetValue(request.SortBy, out var column) ? column : "t.name";
        var direction = request.Descending ? "DESC NULLS LAST" : "ASC NULLS LAST";
        var pageSize = Math.Clamp(request.PageSize, 1, 200);
        var page = Math.Max(0, request.Page);
        var now = clock.GetUtcNow();
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        // Plans and usage through Billing's functions, sizes through Data's view (migration 0271, decision 0048).
        await using var command = dataSource.CreateCommand($"""
            SELECT t.id, t.name, t.slug, t.status, t.created_at, p.plan_id, p.plan_name, coalesce(u.seconds, 0),
                   s.members, s.datasets, count(*) OVER ()
            FROM tenants t
            JOIN tenant_sizes s ON s.tenant_id = t.id
            LEFT JOIN billing_plan_in_force($3) p ON p.tenant_id = t.id
            LEFT JOIN billing_metered_seconds($1, $2) u ON u.tenant_id = t.id
            WHERE t.status <> 'Erased'
              AND ($4::text IS NULL OR strpos(lower(t.name), $4) > 0 OR strpos(t.slug, $4) > 0)
              AND ($5::text IS NULL OR t.status = $5)
              AND ($6::uuid IS NULL OR ($6 = '00000000-0000-0000-0000-000000000000' AND p.plan_id IS NULL) OR p.plan_id = $6)
            ORDER BY {order} {direction}, t.id
            LIMIT $7 OFFSET $8
            """);
        // A substring match without LIKE, so what the user typed has no wildcards to escape.
        var search = string.IsNullOrWhiteSpace(request.Search) ? null : request.Search.Trim().ToLowerInvariant();
        command.Parameters.Add(new NpgsqlParameter { Value = monthStart.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = monthStart.AddMonths(1).UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)search ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = Statuses.Contains(request.Status) ? request.Status! : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.PlanId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize });
        command.Parameters.Add(new NpgsqlParameter { Value = page * pageSize });
        var rows = new List<TenantGridRow>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new TenantGridRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetGuid(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9)));
                total = (int)reader.GetInt64(10);
            }
        }
        // A page past the end still says how many rows there are.
        if (rows.Count == 0 && page > 0)
            return new GridPage<TenantGridRow>([], (await ListAsync(request with { Page = 0, PageSize = 1 }, cancellationToken)).Total);
        return new GridPage<TenantGridRow>(rows, total);
    }

    /// <summary>The plan filter's choices: every plan by name.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Name)>> PlansAsync(CancellationToken cancellationToken = default) =>
        (await plans.ListAsync(cancellationToken)).OrderBy(plan => plan.Name, StringComparer.CurrentCultureIgnoreCase).Select(plan => (plan.Id, plan.Name)).ToList();
}
