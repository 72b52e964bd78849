using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

/// <summary>
/// One page of a tenant's datasets, newest first, after a cursor (the last dataset of the page
/// before): the API's list. Only the listed columns are read; the JSON columns are counted in SQL,
/// never read (samples and stats are kilobytes a row). (created_at, id) descending is
/// ix_datasets_tenant_id_created_at_id's order, so a page costs the same at any depth.
/// </summary>
public sealed class DatasetPageQuery(NpgsqlDataSource dataSource)
{
    /// <returns>The page, or null when <paramref name="after"/> is not one of the tenant's datasets.</returns>
    public async Task<IReadOnlyList<DatasetSummary>?> ExecuteAsync(Guid tenantId, DatasetKind? kind, Guid? after, int limit,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (after is { } cursor)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM datasets WHERE tenant_id = $1 AND id = $2", connection);
            exists.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            exists.Parameters.Add(new NpgsqlParameter { Value = cursor });
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                return null;
        }
        await using var command = new NpgsqlCommand("""
            SELECT d.id, d.name, d.version, d.kind, d.row_count,
                   (SELECT count(*)::int FROM jsonb_object_keys(d.label_counts)), d.size_bytes, jsonb_array_length(d.warnings), d.created_at
            FROM datasets d
            WHERE d.tenant_id = $1
              AND ($2::text IS NULL OR d.kind = $2)
              AND ($3::uuid IS NULL OR (d.created_at, d.id) < (SELECT c.created_at, c.id FROM datasets c WHERE c.tenant_id = $1 AND c.id = $3))
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT $4
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)kind?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var rows = new List<DatasetSummary>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            rows.Add(new DatasetSummary(r.GetGuid(0), r.GetString(1), r.GetInt32(2), Enum.Parse<DatasetKind>(r.GetString(3)),
                r.GetInt32(4), r.GetInt32(5), r.GetInt64(6), r.GetInt32(7), r.GetFieldValue<DateTimeOffset>(8)));
        return rows;
    }
}
