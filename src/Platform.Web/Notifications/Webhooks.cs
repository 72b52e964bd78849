using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Domain.Common;

namespace Platform.Web.Notifications;

public sealed record WebhookView(Guid Id, string Url, DateTimeOffset CreatedAt);

/// <summary>A new webhook and its signing secret, shown once.</summary>
public sealed record CreatedWebhook(Guid Id, string Url, string Secret, DateTimeOffset CreatedAt);

public sealed record WebhookDeliveryView(Guid Id, Guid WebhookId, string Url, Guid EventId, string EventType, DateTimeOffset CreatedAt, int Attempts,
    DateTimeOffset? LastAttemptAt, int? LastStatus, string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt, DateTimeOffset? FailedAt)
{
    public string State => DeliveredAt is not null ? "delivered" : FailedAt is not null ? "failed" : Attempts == 0 ? "pending" : "retrying";
}

/// <summary>
/// The current tenant's webhooks: owners register and remove them; members read the delivery log. A
/// removed webhook is kept (its log stays) and gets no more deliveries.
/// </summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource, ICurrentTenant current, TimeProvider time, WebhookSecrets secrets,
    IOptions<WebhookOptions> options)
{
    public const int MaxPerTenant = 10;
    public const int LogLength = 50;

    public async Task<Result<CreatedWebhook>> CreateAsync(string? url, CancellationToken cancellationToken = default)
    {
        if (await RequireOwnerAsync(cancellationToken) is { } refused)
            return Result<CreatedWebhook>.From(refused);
        url = url?.Trim() ?? "";
        if (url.Length is 0 or > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || !string.IsNullOrEmpty(uri.UserInfo))
            return Result<CreatedWebhook>.BadRequest("Enter the endpoint's full address, starting with https:// (or http://), without a user name or password.");
        if (!options.Value.AllowPrivateTargets && await WebhookTargets.RefusalAsync(uri, cancellationToken) is { } refusal)
            return Result<CreatedWebhook>.BadRequest(refusal);
        var tenantId = current.TenantId!.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The tenant row locked: two registrations at once cannot both pass the cap.
        await using (var lockTenant = new NpgsqlCommand("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockTenant.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await lockTenant.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var count = new NpgsqlCommand("SELECT count(*)::int FROM webhooks WHERE tenant_id = $1 AND deleted_at IS NULL", connection, transaction))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            if ((int)(await count.ExecuteScalarAsync(cancellationToken))! >= MaxPerTenant)
                return Result<CreatedWebhook>.Conflict($"An organisation has at most {MaxPerTenant} webhooks: remove one first.");
        }
        var created = new CreatedWebhook(Guid.CreateVersion7(), uri.ToString(), WebhookSecrets.NewSecret(), time.GetUtcNow());
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO webhooks (id, tenant_id, url, secret_sealed, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = created.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            insert.Parameters.Add(new NpgsqlParameter { Value = created.Url });
            insert.Parameters.Add(new NpgsqlParameter { Value = await secrets.SealAsync(tenantId, created.Id, created.Secret, cancellationToken) });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)current.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = created.CreatedAt });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return Result<CreatedWebhook>.Success(created);
    }

    /// <summary>
    /// Replaces the webhook's signing secret with a new one, returned this once (the old one is not kept:
    /// deliveries sent from now on, retries included, are signed with the new one).
    /// </summary>
    public async Task<Result<CreatedWebhook>> RotateSecretAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (await RequireOwnerAsync(cancellationToken) is { } refused)
            return Result<CreatedWebhook>.From(refused);
        var tenantId = current.TenantId!.Value;
        var secret = WebhookSecrets.NewSecret();
        await using var command = dataSource.CreateCommand("""
            UPDATE webhooks SET secret = NULL, secret_sealed = $3, secret_rotated_at = $4
            WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING url, created_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = await secrets.SealAsync(tenantId, id, secret, cancellationToken) });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? Result<CreatedWebhook>.Success(new CreatedWebhook(id, reader.GetString(0), secret, reader.GetFieldValue<DateTimeOffset>(1)))
            : Result<CreatedWebhook>.NotFound("Webhook not found.");
    }

    public async Task<Result> DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        if (await RequireOwnerAsync(cancellationToken) is { } refused)
            return refused;
        await using var command = dataSource.CreateCommand("""
            UPDATE webhooks SET deleted_at = $3 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = current.TenantId!.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? Result.Success() : Result.NotFound("Webhook not found.");
    }

    public async Task<IReadOnlyList<WebhookView>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT id, url, created_at FROM webhooks WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        var hooks = new List<WebhookView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            hooks.Add(new WebhookView(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        return hooks;
    }

    /// <summary>The newest deliveries of the tenant's webhooks (removed ones' too).</summary>
    public async Task<IReadOnlyList<WebhookDeliveryView>> DeliveriesAsync(int limit = LogLength, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT d.id, d.webhook_id, w.url, d.event_id, d.event_type, d.created_at, d.attempts, d.last_attempt_at, d.last_status, d.last_error,
                   d.next_attempt_at, d.delivered_at, d.failed_at
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.tenant_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, 500) });
        var rows = new List<WebhookDeliveryView>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            rows.Add(new WebhookDeliveryView(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetGuid(3), r.GetString(4), r.GetFieldValue<DateTimeOffset>(5),
                r.GetInt32(6), At(r, 7), r.IsDBNull(8) ? null : r.GetInt32(8), r.IsDBNull(9) ? null : r.GetString(9), At(r, 10), At(r, 11), At(r, 12)));
        }
        return rows;
    }

    private static DateTimeOffset? At(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    private async Task<Result?> RequireOwnerAsync(CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId || current.UserId is not { } userId)
            return Result.Forbidden("Choose an organisation first.");
        await using var command = dataSource.CreateCommand("SELECT role FROM tenant_memberships WHERE tenant_id = $1 AND user_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        return await command.ExecuteScalarAsync(cancellationToken) is "Owner" ? null : Result.Forbidden("Only an owner of the organisation can manage webhooks.");
    }
}
