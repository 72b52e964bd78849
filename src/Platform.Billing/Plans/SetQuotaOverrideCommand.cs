using Npgsql;
using Platform.Data.Audit;
using Platform.Domain.Billing;
using Platform.Domain.Common;

namespace Platform.Billing.Plans;

/// <summary>Admin override of a tenant's quota: extra hours this and later periods, and optionally another cap mode.</summary>
public sealed record QuotaOverride(decimal ExtraGpuHours, decimal ExtraCpuHours, CapMode? CapMode, string? Note);

public sealed class SetQuotaOverrideCommand(NpgsqlDataSource dataSource, ICurrentTenant current, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid tenantId, QuotaOverride quota, CancellationToken cancellationToken = default)
    {
        if (quota.ExtraGpuHours < 0 || quota.ExtraCpuHours < 0)
            return Result.BadRequest("Extra hours cannot be negative.");
        if (quota.ExtraGpuHours > Plan.MaxIncludedHours || quota.ExtraCpuHours > Plan.MaxIncludedHours)
            return Result.BadRequest($"Extra hours are at most {Plan.MaxIncludedHours:0} per device class.");
        if (decimal.Round(quota.ExtraGpuHours, 4) != quota.ExtraGpuHours || decimal.Round(quota.ExtraCpuHours, 4) != quota.ExtraCpuHours)
            return Result.BadRequest("Extra hours have at most 4 decimal places.");
        if (quota.CapMode is { } mode && !Enum.IsDefined(mode))
            return Result.BadRequest("The cap must be hard or soft.");
        if (quota.Note is { Length: > 500 })
            return Result.BadRequest("The note is limited to 500 characters.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await AuditTrail.ReadJsonAsync(connection, transaction, OverrideJson, tenantId, cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO tenant_quota_overrides (tenant_id, extra_gpu_hours, extra_cpu_hours, cap_mode, note, updated_by)
            SELECT t.id, $2, $3, $4, $5, $6 FROM tenants t WHERE t.id = $1
            ON CONFLICT (tenant_id) DO UPDATE SET extra_gpu_hours = EXCLUDED.extra_gpu_hours,
                extra_cpu_hours = EXCLUDED.extra_cpu_hours, cap_mode = EXCLUDED.cap_mode, note = EXCLUDED.note,
                updated_by = EXCLUDED.updated_by, updated_at = now()
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = quota.ExtraGpuHours });
        command.Parameters.Add(new NpgsqlParameter { Value = quota.ExtraCpuHours });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)quota.CapMode?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)quota.Note ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)current.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            return Result.NotFound("The organisation does not exist.");
        var after = await AuditTrail.ReadJsonAsync(connection, transaction, OverrideJson, tenantId, cancellationToken);
        await audit.WriteAsync(connection, transaction, AuditActions.QuotaOverride, tenantId, null, before, after, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }

    private const string OverrideJson = """
        SELECT json_build_object('extraGpuHours', extra_gpu_hours, 'extraCpuHours', extra_cpu_hours, 'capMode', cap_mode, 'note', note)::text
        FROM tenant_quota_overrides WHERE tenant_id = $1
        """;
}
