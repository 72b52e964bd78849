using Npgsql;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Jobs.Launch;

/// <summary>
/// What every launch checks and writes inside its transaction: the tenant's limits row locked first
/// (so two launches at once cannot both pass a check only one of them fits under), the tenant able
/// to launch and under its cap of active jobs, the dataset its own, the device to estimate for.
/// </summary>
internal static class LaunchChecks
{
    /// <summary>The launch refusal for a user whose email address is not confirmed (issue 11: sign-ups are unverified until then).</summary>
    public const string UnconfirmedEmail =
        "Confirm your email address before launching jobs: follow the link in the mail we sent you, or ask for a new one at /account/confirm-email.";

    /// <summary>
    /// Checks the launching user has confirmed their email (an API key acts for the member who created it),
    /// locks the tenant's limits row, then checks the tenant exists, is not suspended and is under its cap.
    /// </summary>
    /// <remarks>
    /// A job on <paramref name="devices"/> devices counts that many against the cap, and can ask for no
    /// more than the tenant may run at once (decision 0044).
    /// </remarks>
    public static async Task<Result> AdmitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        Guid? userId, CancellationToken cancellationToken, int devices = 1)
    {
        if (userId is { } launcher && !await EmailConfirmedAsync(connection, transaction, launcher, cancellationToken))
            return Result.Forbidden(UnconfirmedEmail);
        var limit = await LockLimitsAsync(connection, transaction, tenantId, cancellationToken);
        var tenant = await ReadTenantAsync(connection, transaction, tenantId, cancellationToken);
        if (tenant is null)
            return Result.NotFound("The organisation does not exist.");
        var writable = Tenant.CheckCanWrite(tenant.Value.Status, tenant.Value.Reason, "launch jobs");
        if (!writable.IsSuccess)
            return writable;
        var active = await CountActiveAsync(connection, transaction, tenantId, cancellationToken);
        if (devices == 1 && active >= limit)
            return Result.Conflict($"Your organisation already has {active} active jobs, its limit. Wait for one to finish or cancel one.");
        if (devices > 1)
        {
            var slots = await MaxConcurrentAsync(connection, transaction, tenantId, cancellationToken);
            if (devices > slots)
                return Result.BadRequest($"Your organisation runs at most {slots} devices at once: a job can ask for up to {slots}.");
            if (active + devices > limit)
                return Result.Conflict($"Your organisation has {active} of its {limit} active devices in use; this job needs {devices}. " +
                    "Wait for a job to finish or cancel one.");
        }
        return Result.Success();
    }

    private static async Task<bool> EmailConfirmedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT email_confirmed FROM users WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Jobs run where a worker claims them; while a GPU worker is alive, that is where to expect it.</summary>
    internal static async Task<string> LikelyDeviceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM workers
                           WHERE device_kind = 'cuda' AND stopped_at IS NULL AND heartbeat_at > now() - interval '2 minutes')
            """, connection, transaction);
        return await command.ExecuteScalarAsync(cancellationToken) is true ? "cuda" : "cpu";
    }

    internal static async Task AddEventAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid jobId,
        string type, string message, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO job_events (tenant_id, job_id, type, message) VALUES ($1, $2, $3, $4)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Length > 2000 ? message[..2000] : message });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task<int> LockLimitsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        // The no-op update takes the row lock whether the row was there or not, in one statement.
        await using var command = new NpgsqlCommand("""
            INSERT INTO tenant_job_limits (tenant_id) VALUES ($1)
            ON CONFLICT (tenant_id) DO UPDATE SET max_active = tenant_job_limits.max_active
            RETURNING max_active
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    internal static async Task<(TenantStatus Status, string? Reason)?> ReadTenantAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT status, suspension_reason FROM tenants WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return (Enum.Parse<TenantStatus>(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static async Task<int> MaxConcurrentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT max_concurrent FROM tenant_job_limits WHERE tenant_id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    /// <summary>Devices of the tenant's active (queued or running) jobs: a job on N devices counts N.</summary>
    internal static async Task<int> CountActiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(devices), 0) FROM jobs WHERE tenant_id = $1 AND state IN ('Queued', 'Running')", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    internal static async Task<DatasetRow?> ReadDatasetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid tenantId, Guid datasetId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT id, name, version, kind, artifact_path, train_count, split_path, coalesce((stats->>'mean')::float8, 0), label_column
            FROM datasets WHERE tenant_id = $1 AND id = $2
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = datasetId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new DatasetRow(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
                reader.IsDBNull(6) ? "" : reader.GetString(6), reader.GetDouble(7), reader.IsDBNull(8) ? null : reader.GetString(8))
            : null;
    }

    /// <param name="MeanLength">Characters per text (pixels of width for images).</param>
    internal sealed record DatasetRow(Guid Id, string Name, int Version, string Kind, string ArtifactPath, int TrainCount, string SplitPath,
        double MeanLength, string? LabelColumn = null);
}
