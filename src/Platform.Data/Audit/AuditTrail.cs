using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Common;

namespace Platform.Data.Audit;

/// <summary>
/// Writes audit log entries (migration 0170, docs/decisions/0033): the actor is the current user (the
/// signed-in person, or an API key's creator), none for the platform itself. Always called inside the
/// transaction of the action it records, so both commit or neither does.
/// </summary>
public sealed class AuditTrail(ICurrentTenant current)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Records <paramref name="action"/> in the caller's open transaction.</summary>
    /// <param name="before">The state before the action (an anonymous object or record), serialised as JSON; null when there was none.</param>
    /// <param name="after">The state after it; null when the thing is gone.</param>
    public async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string action, Guid? tenantId,
        string? target, object? before, object? after, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        if (transaction is null && connection.State == System.Data.ConnectionState.Open)
        {
            // A lone statement commits by itself; the caller meant it to share the action's transaction.
            throw new InvalidOperationException($"Audit entry '{action}' must be written in the action's transaction.");
        }
        await using var command = new NpgsqlCommand("""
            INSERT INTO audit_log (actor_user_id, actor_email, tenant_id, action, target, before, after)
            VALUES ($1, (SELECT email FROM users WHERE id = $1), $2, $3, $4, $5::jsonb, $6::jsonb)
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)current.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = action });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)Truncate(target, 200) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = Serialize(before), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = Serialize(after), NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records <paramref name="action"/> in the context's current transaction (begin one with
    /// <see cref="BeginAsync"/> before SaveChanges, write, then commit).
    /// </summary>
    public Task WriteAsync(PlatformDbContext db, string action, Guid? tenantId, string? target, object? before, object? after,
        CancellationToken cancellationToken = default)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction
                          ?? throw new InvalidOperationException($"Audit entry '{action}' must be written in the action's transaction.");
        return WriteAsync((NpgsqlConnection)db.Database.GetDbConnection(), transaction, action, tenantId, target, before, after, cancellationToken);
    }

    /// <summary>A transaction on the context for an action and its entry.</summary>
    public static Task<IDbContextTransaction> BeginAsync(PlatformDbContext db, CancellationToken cancellationToken = default) =>
        db.Database.BeginTransactionAsync(cancellationToken);

    /// <summary>
    /// A row as JSON for an entry's before or after: <paramref name="sql"/> selects one json value with
    /// <paramref name="id"/> as $1, read in the action's transaction; null when there is no row.
    /// </summary>
    public static async Task<JsonElement?> ReadJsonAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid id,
        CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonDocument.Parse(json).RootElement.Clone() : null;
    }

    private static object Serialize(object? value) => value is null ? DBNull.Value : JsonSerializer.Serialize(value, value.GetType(), Json);

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}
