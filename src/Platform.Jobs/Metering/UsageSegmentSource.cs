using Npgsql;
using Platform.Domain.Usage;

namespace Platform.Jobs.Metering;

/// <summary>Reads closed usage segments for billing. A closed segment never changes again.</summary>
internal sealed class UsageSegmentSource(NpgsqlDataSource dataSource) : IUsageSource
{
    public async Task<IReadOnlyList<UsageSegment>> ClosedSegmentsAsync(DateTimeOffset from, DateTimeOffset to,
        Guid? tenantId = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT tenant_id, job_id, attempt, segment, worker_id, device_kind, started_at, ended_at
            FROM usage_segments
            WHERE closed AND ended_at >= $1 AND ended_at < $2 AND ($3::uuid IS NULL OR tenant_id = $3)
            ORDER BY ended_at, job_id, attempt, segment
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var segments = new List<UsageSegment>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            segments.Add(new UsageSegment(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetInt32(3),
                reader.GetGuid(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return segments;
    }
}
