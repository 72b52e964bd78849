using Npgsql;
using Platform.Domain.Billing;

namespace Platform.Billing.Plans;

internal static class QuotaOverrideReader
{
    /// <summary>The admin's extra hours and cap mode for a tenant; zeros and null when none is set.</summary>
    public static async Task<(decimal Gpu, decimal Cpu, CapMode? Mode)> ReadAsync(NpgsqlConnection connection, Guid tenantId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT extra_gpu_hours, extra_cpu_hours, cap_mode FROM tenant_quota_overrides WHERE tenant_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return (0, 0, null);
        return (reader.GetDecimal(0), reader.GetDecimal(1), reader.IsDBNull(2) ? null : Enum.Parse<CapMode>(reader.GetString(2)));
    }
}
