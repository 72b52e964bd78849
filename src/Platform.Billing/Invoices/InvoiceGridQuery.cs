using Npgsql;
using NpgsqlTypes;

namespace Platform.Billing.Invoices;

/// <summary>A page of invoices and the number of invoices all pages hold.</summary>
public sealed record InvoicePage(IReadOnlyList<InvoiceSummary> Items, int Total);

/// <summary>What finance's invoice grid asks for: a page, a sort, and the status, organisation and period filters.</summary>
public sealed record InvoiceGridRequest(
    int Page = 0,
    int PageSize = 25,
    string? SortBy = null,
    bool Descending = true,
    InvoiceFilter? Filter = null);

/// <summary>
/// Finance's invoices grid across organisations (callers check the Finance policy): one page, sorted and
/// filtered in PostgreSQL, with the total row count for the pager and the amounts owed and paid over every
/// page (docs/decisions/0041). Rows are <see cref="InvoiceSummary"/>, as the list before it showed.
/// </summary>
public sealed class InvoiceGridQuery(NpgsqlDataSource dataSource)
{
    // Sortable columns by the names the grid uses; anything else sorts by the period.
    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.Ordinal)
    {
        ["Number"] = "i.number",
        ["TenantName"] = "coalesce(t.name, i.buyer_name)",
        ["PeriodStart"] = "i.period_start",
        ["Status"] = "i.status",
        ["Total"] = "i.total",
    };

    private const string Where = """
        WHERE ($1::uuid IS NULL OR i.tenant_id = $1)
          AND ($2::varchar IS NULL OR i.status = $2)
          AND ($3::timestamptz IS NULL OR i.period_start >= $3)
          AND ($4::timestamptz IS NULL OR i.period_start < $4)
        """;

    public async Task<InvoicePage> ListAsync(InvoiceGridRequest request, CancellationToken cancellationToken = default)
    {
        var order = request.SortBy is not null && SortColumns.TryGetValue(request.SortBy, out var column) ? column : "i.period_start";
        var direction = request.Descending ? "DESC NULLS LAST" : "ASC NULLS LAST";
        var pageSize = Math.Clamp(request.PageSize, 1, 200);
        var page = Math.Max(0, request.Page);
        await using var command = dataSource.CreateCommand($"""
            SELECT i.id, coalesce(i.number, 'DRAFT'), i.tenant_id, coalesce(t.name, i.buyer_name), i.period_start, i.period_end, i.status,
                   i.currency, i.total, coalesce((SELECT sum(c.amount) FROM credit_notes c WHERE c.invoice_id = i.id), 0), count(*) OVER ()
            FROM invoices i LEFT JOIN tenants t ON t.id = i.tenant_id
            {Where}
            ORDER BY {order} {direction}, i.id DESC
            LIMIT $5 OFFSET $6
            """);
        AddFilter(command, request.Filter ?? new InvoiceFilter());
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize });
        command.Parameters.Add(new NpgsqlParameter { Value = page * pageSize });
        var rows = new List<InvoiceSummary>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new InvoiceSummary(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), InvoiceStatuses.FromDb(reader.GetString(6)),
                    reader.GetString(7), reader.GetDecimal(8), reader.GetDecimal(9)));
                total = (int)reader.GetInt64(10);
            }
        }
        // A page past the end still says how many rows there are.
        if (rows.Count == 0 && page > 0)
            return new InvoicePage([], (await ListAsync(request with { Page = 0, PageSize = 1 }, cancellationToken)).Total);
        return new InvoicePage(rows, total);
    }

    /// <summary>Per status and currency, the amount over every invoice the filter matches: open ones net of credit notes.</summary>
    public async Task<IReadOnlyList<(InvoiceStatus Status, string Currency, decimal Amount)>> TotalsAsync(InvoiceFilter filter,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT i.status, i.currency,
                   sum(i.total - CASE WHEN i.status = 'open' THEN coalesce((SELECT sum(c.amount) FROM credit_notes c WHERE c.invoice_id = i.id), 0) ELSE 0 END)
            FROM invoices i
            {Where}
            GROUP BY i.status, i.currency
            ORDER BY i.currency
            """);
        AddFilter(command, filter);
        var totals = new List<(InvoiceStatus, string, decimal)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            totals.Add((InvoiceStatuses.FromDb(reader.GetString(0)), reader.GetString(1), reader.GetDecimal(2)));
        return totals;
    }

    /// <summary>The period filter's choices: the months in which invoiced periods start, newest first (three years at most).</summary>
    public async Task<IReadOnlyList<DateTimeOffset>> PeriodMonthsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT date_trunc('month', period_start AT TIME ZONE 'UTC') AS month FROM invoices ORDER BY month DESC LIMIT 36
            """);
        var months = new List<DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            months.Add(new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc)));
        return months;
    }

    private static void AddFilter(NpgsqlCommand command, InvoiceFilter filter)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = filter.Status is { } status ? InvoiceStatuses.ToDb(status) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.PeriodStartFrom?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.PeriodStartTo?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }
}
