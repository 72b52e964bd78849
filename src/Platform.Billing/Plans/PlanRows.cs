using System.Data.Common;
using Platform.Domain.Billing;

namespace Platform.Billing.Plans;

/// <summary>The one place a billing_plans row becomes a <see cref="Plan"/>, so every reader agrees on the columns.</summary>
internal static class PlanRows
{
    public const string Columns = """
        p.id, p.code, p.name, p.currency, p.monthly_fee, p.included_gpu_hours, p.included_cpu_hours,
        p.gpu_overage_per_hour, p.cpu_overage_per_hour, p.max_concurrent_jobs, p.max_dataset_bytes,
        p.max_storage_bytes, p.cap_mode, p.stripe_price_id, p.stripe_gpu_price_id, p.stripe_cpu_price_id,
        p.checkpoint_retention_days, p.event_retention_days, p.max_job_runtime_seconds
        """;

    /// <summary>Reads a plan from <paramref name="offset"/> on (the columns in <see cref="Columns"/> order).</summary>
    public static Plan Read(DbDataReader reader, int offset = 0) => new(
        reader.GetGuid(offset),
        reader.GetString(offset + 1),
        reader.GetString(offset + 2),
        reader.GetString(offset + 3),
        reader.GetDecimal(offset + 4),
        reader.GetDecimal(offset + 5),
        reader.GetDecimal(offset + 6),
        reader.GetDecimal(offset + 7),
        reader.GetDecimal(offset + 8),
        reader.GetInt32(offset + 9),
        reader.GetInt64(offset + 10),
        reader.GetInt64(offset + 11),
        Enum.Parse<CapMode>(reader.GetString(offset + 12)),
        reader.IsDBNull(offset + 13) ? null : reader.GetString(offset + 13),
        reader.IsDBNull(offset + 14) ? null : reader.GetString(offset + 14),
        reader.IsDBNull(offset + 15) ? null : reader.GetString(offset + 15),
        reader.GetInt32(offset + 16),
        reader.GetInt32(offset + 17),
        reader.IsDBNull(offset + 18) ? null : reader.GetInt32(offset + 18));
}
