using Npgsql;
using Platform.Domain.Common;

namespace Platform.Web.Notifications;

public sealed record NotificationView(Guid Id, Guid JobId, string Type, string Title, DateTimeOffset CreatedAt, bool Unread)
{
    public string Text => Type switch
    {
        "job.succeeded" => "succeeded",
        "job.failed" => "failed",
        "job.cancelled" => "was cancelled",
        _ => "ended",
    };
}

/// <summary>
/// The bell: the current tenant's notifications, unread for the signed-in user when newer than the time
/// up to which the user marked them read (one row per user and tenant, not one per notification).
/// </summary>
public sealed class NotificationQueries(NpgsqlDataSource dataSource, ICurrentTenant current, TimeProvider time)
{
    public const int PageLength = 30;

    public async Task<int> UnreadCountAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId || current.UserId is not { } userId)
            return 0;
        await using var command = dataSource.CreateCommand("""
            SELECT count(*)::int FROM (
                SELECT 1 FROM notifications n
                WHERE n.tenant_id = $1
                  AND n.created_at > coalesce((SELECT read_up_to FROM notification_reads WHERE tenant_id = $1 AND user_id = $2), '-infinity')
                LIMIT 100) unread
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<NotificationView>> RecentAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId || current.UserId is not { } userId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT n.id, n.job_id, n.type, n.title, n.created_at,
                   n.created_at > coalesce((SELECT read_up_to FROM notification_reads WHERE tenant_id = $1 AND user_id = $2), '-infinity')
            FROM notifications n WHERE n.tenant_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = PageLength });
        var rows = new List<NotificationView>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            rows.Add(new NotificationView(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4), r.GetBoolean(5)));
        return rows;
    }

    /// <summary>Marks everything up to the newest notification read (one written now could be newer than the clock's now).</summary>
    public async Task MarkAllReadAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId || current.UserId is not { } userId)
            return;
        await using var command = dataSource.CreateCommand("""
            INSERT INTO notification_reads (tenant_id, user_id, read_up_to)
            SELECT $1, $2, greatest($3, (SELECT max(created_at) FROM notifications WHERE tenant_id = $1))
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET read_up_to = greatest(notification_reads.read_up_to, excluded.read_up_to)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
