using System.Text;
using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Common;

namespace Platform.Jobs.Portal;

/// <summary>One row of the jobs grid: only what the grid shows, read from the row's JSON columns by SQL.</summary>
public sealed record JobGridRow(
    Guid Id,
    string Name,
    string Kind,
    string State,
    bool CancelRequested,
    string? BaseModel,
    string? Preset,
    long? Step,
    long? TotalSteps,
    double? Accuracy,
    double? MacroF1,
    string? Warning,
    DateTimeOffset CreatedAt,
    double? DurationSeconds,
    Guid TenantId,
    string? TenantName)
{
    public bool IsActive => State is "Queued" or "Running";

    public double? Fraction => Step is { } step && TotalSteps is > 0 ? Math.Clamp(step / (double)TotalSteps.Value, 0, 1) : null;
}

/// <summary>A page of a grid and the number of rows all its pages hold.</summary>
public sealed record GridPage<T>(IReadOnlyList<T> Items, int Total);

/// <summary>
/// What a jobs grid asks for: a page, a sort, the state and text filters (and, across tenants, tenant and
/// worker). <see cref="ModelsOnly"/> is the models grid: succeeded training jobs whose model is still there.
/// </summary>
public sealed record JobGridRequest(
    int Page = 0,
    int PageSize = 25,
    string? SortBy = null,
    bool Descending = true,
    string? State = null,
    string? Search = null,
    Guid? TenantId = null,
    Guid? WorkerId = null,
    bool ModelsOnly = false);

/// <summary>
/// The jobs grids' query: one page, only the columns shown, sorted and filtered in PostgreSQL (issue 15:
/// a list must not read every row with its JSON). <see cref="ListAsync"/> is the current tenant's;
/// <see cref="ListAcrossTenantsAsync"/> is for platform admins and must only be called behind that policy.
/// </summary>
public sealed class JobGridQuery(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    public static readonly string[] States = ["Queued", "Running", "Succeeded", "Failed", "Cancelled"];

    // The catalog name the launch stored; older jobs fall back to a preset name (never a server path).
    private const string BaseModel =
        "coalesce(j.payload->>'baseModelName', CASE WHEN j.payload->>'baseModel' NOT LIKE '%/%' THEN j.payload->>'baseModel' END)";

    private const string Duration =
        "CASE WHEN j.started_at IS NOT NULL THEN extract(epoch FROM coalesce(j.finished_at, now()) - j.started_at)::float8 END";

    private const string MacroF1 =
        "CASE WHEN jsonb_typeof(j.result->'macroF1') = 'number' THEN (j.result->>'macroF1')::float8 END";

    // Sortable columns by the names the grid uses; anything else sorts by creation.
    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.Ordinal)
    {
        ["Name"] = "j.name",
        ["State"] = "j.state",
        ["BaseModel"] = BaseModel,
        ["Preset"] = "j.payload->'options'->>'preset'",
        ["CreatedAt"] = "j.created_at",
        ["DurationSeconds"] = Duration,
        ["MacroF1"] = MacroF1,
        ["TenantName"] = "t.name",
        ["Accuracy"] = "CASE WHEN jsonb_typeof(j.result->'accuracy') = 'number' THEN (j.result->>'accuracy')::float8 END",
    };

    public async Task<GridPage<JobGridRow>> ListAsync(JobGridRequest request, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return new GridPage<JobGridRow>([], 0);
        return await ReadAsync(request with { TenantId = tenantId, WorkerId = null }, cancellationToken);
    }

    public Task<GridPage<JobGridRow>> ListAcrossTenantsAsync(JobGridRequest request, CancellationToken cancellationToken = default) =>
        ReadAsync(request, cancellationToken);

    /// <summary>The admin grid's filter choices: every tenant, and the workers not stopped for more than a day.</summary>
    public async Task<(IReadOnlyList<(Guid Id, string Name)> Tenants, IReadOnlyList<(Guid Id, string Name)> Workers)> FilterOptionsAsync(
        CancellationToken cancellationToken = default)
    {
        var tenants = await PairsAsync("SELECT id, name FROM tenants ORDER BY name LIMIT 1000", cancellationToken);
        var workers = await PairsAsync("""
            SELECT id, name || ' · ' || left(id::text, 8) FROM workers
            WHERE stopped_at IS NULL OR stopped_at > now() - interval '1 day'
            ORDER BY name, id LIMIT 500
            """, cancellationToken);
        return (tenants, workers);
    }

    private async Task<IReadOnlyList<(Guid Id, string Name)>> PairsAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pairs = new List<(Guid, string)>();
        while (await reader.ReadAsync(cancellationToken))
            pairs.Add((reader.GetGuid(0), reader.GetString(1)));
        return pairs;
    }

    private async Task<GridPage<JobGridRow>> ReadAsync(JobGridRequest request, CancellationToken cancellationToken)
    {
        var order = request.SortBy is not null && SortColumns.TryGetValue(request.SortBy, out var column) ? column : "j.created_at";
        var direction = request.Descending ? "DESC NULLS LAST" : "ASC NULLS LAST";
        var pageSize = Math.Clamp(request.PageSize, 1, 200);
        var page = Math.Max(0, request.Page);
        await using var command = dataSource.CreateCommand($"""
            SELECT j.id, j.name, j.kind, j.state, j.cancel_requested_at IS NOT NULL, {BaseModel}, j.payload->'options'->>'preset',
                   (j.progress->>'step')::float8::bigint, (j.progress->>'totalSteps')::float8::bigint,
                   CASE WHEN jsonb_typeof(j.result->'accuracy') = 'number' THEN (j.result->>'accuracy')::float8 END, {MacroF1},
                   CASE WHEN j.result->'assessment'->>'warning' = 'true' THEN j.result->'assessment'->>'summary' END,
                   j.created_at, {Duration}, j.tenant_id, t.name,
                   count(*) OVER ()
            FROM jobs j JOIN tenants t ON t.id = j.tenant_id
            WHERE ($1::uuid IS NULL OR j.tenant_id = $1)
              AND ($2::text IS NULL OR j.state = $2)
              AND ($3::text IS NULL OR j.name ILIKE $3 ESCAPE '\' OR {BaseModel} ILIKE $3 ESCAPE '\' OR j.id::text LIKE $4 ESCAPE '\')
              AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM job_queue q WHERE q.job_id = j.id AND q.worker_id = $5)
                   OR EXISTS (SELECT 1 FROM usage_segments s WHERE s.job_id = j.id AND s.worker_id = $5))
              AND (NOT $8 OR (j.state = 'Succeeded' AND j.kind = 'train' AND (j.result ? 'modelFolder' OR j.result ? 'modelDirectory')))
            ORDER BY {order} {direction}, j.id DESC
            LIMIT $6 OFFSET $7
            """);
        var search = string.IsNullOrWhiteSpace(request.Search) ? null : Escape(request.Search.Trim());
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = States.Contains(request.State) ? request.State! : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = search is null ? DBNull.Value : $"%{search}%", NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = search is null ? DBNull.Value : $"{search.ToLowerInvariant()}%", NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.WorkerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize });
        command.Parameters.Add(new NpgsqlParameter { Value = page * pageSize });
        command.Parameters.Add(new NpgsqlParameter { Value = request.ModelsOnly });
        var rows = new List<JobGridRow>();
        var total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new JobGridRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetInt64(8),
                reader.IsDBNull(9) ? null : reader.GetDouble(9), reader.IsDBNull(10) ? null : reader.GetDouble(10),
                reader.IsDBNull(11) ? null : reader.GetString(11), reader.GetFieldValue<DateTimeOffset>(12),
                reader.IsDBNull(13) ? null : reader.GetDouble(13), reader.GetGuid(14), reader.GetString(15)));
            total = (int)reader.GetInt64(16);
        }
        // A page past the end still says how many rows there are.
        if (rows.Count == 0 && page > 0)
            return new GridPage<JobGridRow>([], (await ReadAsync(request with { Page = 0, PageSize = 1 }, cancellationToken)).Total);
        return new GridPage<JobGridRow>(rows, total);
    }

    // LIKE's wildcards in what the user typed are plain characters (the other portal grids search the same way).
    internal static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\\' or '%' or '_')
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
