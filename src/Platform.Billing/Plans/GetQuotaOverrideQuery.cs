using Npgsql;
using Platform.Domain.Billing;

namespace Platform.Billing.Plans;

/// <summary>Platform admin: a tenant's quota override, or null when none was ever set.</summary>
public sealed class GetQuotaOverrideQuery(NpgsqlDataSource dataSource)
{
    public async Task<QuotaOverride?> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT extra_gpu_hours, extra_cpu_hours, cap_mode, note FROM tenant_quota_overrides WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new QuotaOverride(reader.GetDecimal(0), reader.GetDecimal(1),
            reader.IsDBNull(2) ? null : Enum.Parse<CapMode>(reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetString(3));
    }
}
