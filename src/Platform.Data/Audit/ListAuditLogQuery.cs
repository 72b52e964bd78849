using System.Text;
using Npgsql;
using NpgsqlTypes;
using Platform.Data.Tenants;
using Platform.Domain.Common;

namespace Platform.Data.Audit;

/// <summary>One audit log entry as the pages show it; before and after are the stored JSON text.</summary>
public sealed record AuditEntryView(long Id, DateTimeOffset OccurredAt, Guid? ActorUserId, string? ActorEmail, Guid? TenantId,
    string? TenantName, string Action, string? Target, string? Before, string? After);

/// <summary>What to list: entries older than <see cref="BeforeId"/> (the previous page's last), newest first.</summary>
public sealed record AuditLogFilter(Guid? TenantId = null, string? Actor = null, string? Action = null, long? BeforeId = null, int PageSize = 50);

/// <summary>A page of entries, and the id to pass as <see cref="AuditLogFilter.BeforeId"/> for the next one (null: no more).</summary>
public sealed record AuditLogPage(IReadOnlyList<AuditEntryView> Entries, long? NextBeforeId);

/// <summary>
/// Lists the audit log newest first, one page at a time (keyset on the id, so a page costs the same
/// however deep). Platform admins list every tenant's entries (the host checks the role); an owner lists
/// their own organisation's, whatever tenant the filter names.
/// </summary>
public sealed class ListAuditLogQuery(NpgsqlDataSource dataSource, PlatformDbContext db, ICurrentTenant current)
{
    public const int MaxPageSize = 200;

    public async Task<Result<AuditLogPage>> ExecuteAsync(AuditLogFilter filter, bool platformWide, CancellationToken cancellationToken = default)
    {
        if (!platformWide)
        {
            var owner = await TenantGuard.RequireOwnerAsync(db, current, cancellationToken);
            if (!owner.IsSuccess)
                return Result<AuditLogPage>.From(owner);
            filter = filter with { TenantId = current.TenantId };
        }
        var size = Math.Clamp(filter.PageSize, 1, MaxPageSize);
        var sql = new StringBuilder("""
            SELECT a.id, a.occurred_at, a.actor_user_id, a.actor_email, a.tenant_id, t.name, a.action, a.target, a.before::text, a.after::text
            FROM audit_log a LEFT JOIN tenants t ON t.id = a.tenant_id
            WHERE ($1::bigint IS NULL OR a.id < $1)
            """);
        await using var command = dataSource.CreateCommand();
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.BeforeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        if (filter.TenantId is { } tenantId)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            sql.Append($" AND a.tenant_id = ${command.Parameters.Count}");
        }
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim();
            if (Guid.TryParse(actor, out var actorId))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = actorId });
                sql.Append($" AND a.actor_user_id = ${command.Parameters.Count}");
            }
            else
            {
                command.Parameters.Add(new NpgsqlParameter { Value = actor });
                sql.Append($" AND lower(a.actor_email) = lower(${command.Parameters.Count})");
            }
        }
        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            // "invoice" lists every invoice.* action; "invoice.status" that one.
            command.Parameters.Add(new NpgsqlParameter { Value = filter.Action.Trim().ToLowerInvariant() });
            sql.Append($" AND (a.action = ${command.Parameters.Count} OR a.action LIKE ${command.Parameters.Count} || '.%')");
        }
        command.Parameters.Add(new NpgsqlParameter { Value = size + 1 });
        sql.Append($" ORDER BY a.id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();
        var entries = new List<AuditEntryView>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                entries.Add(new AuditEntryView(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1),
                    reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetGuid(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9)));
        }
        long? next = null;
        if (entries.Count > size)
        {
            entries.RemoveAt(size);
            next = entries[^1].Id;
        }
        return Result<AuditLogPage>.Success(new AuditLogPage(entries, next));
    }
}
