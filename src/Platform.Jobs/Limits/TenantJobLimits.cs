namespace Platform.Jobs.Limits;

/// <summary>
/// A tenant's job limits (tenant_job_limits) and where it stands against them. MaxConcurrent caps
/// running jobs (the claim respects it); MaxActive caps queued plus running ones (the launch refuses
/// beyond it). IsDefault: no row yet, so the column defaults apply.
/// </summary>
public sealed record TenantJobLimits(int MaxConcurrent, int MaxActive, int Running, int Active, bool IsDefault)
{
    /// <summary>The column defaults of migrations 0010 and 0011, in force until an admin sets limits.</summary>
    public const int DefaultMaxConcurrent = 2;

    public const int DefaultMaxActive = 10;

    /// <summary>An upper bound for what an admin may set, far above any one tenant's fair share of the workers.</summary>
    public const int MaxLimit = 10_000;
}
