using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Platform.Billing.Plans;
using Platform.Domain.Billing;

namespace Platform.Web.Accounts;

/// <summary>
/// Section "SignUp": the plan every self-service organisation starts on, so no tenant is without caps
/// (finding 6 of issue 11: a tenant without a plan had no compute-hour, storage or concurrency limit).
/// The plan is found by code and created with these values the first time; an admin may edit it on
/// the plans page afterwards, and the edits stay. An empty code leaves new organisations without a plan.
/// <see cref="PlanCode"/> is resolved by <see cref="SignUpPlanSetting"/> (it also reads the old
/// <c>Billing:SignUpPlanCode</c>), the code billing's sign-up subscription uses too.
/// </summary>
public sealed class SignUpOptions
{
    public const string Section = "SignUp";

    [MaxLength(64)]
    public string PlanCode { get; set; } = "free";

    [Required, MaxLength(200)]
    public string PlanName { get; set; } = "Free";

    [Required, StringLength(3, MinimumLength = 3)]
    public string Currency { get; set; } = "USD";

    /// <summary>CPU hours a month; with the hard cap a job whose estimate does not fit is refused.</summary>
    [Range(0, 10_000)]
    public decimal IncludedCpuHours { get; set; } = 2;

    /// <summary>
    /// GPU hours a month. Not zero: when a GPU worker is up, launches are estimated (and capped) in GPU
    /// hours, and a free organisation could not train at all.
    /// </summary>
    [Range(0, 10_000)]
    public decimal IncludedGpuHours { get; set; } = 1;

    [Range(0, 1000)]
    public int MaxConcurrentJobs { get; set; } = 1;

    [Range(0, long.MaxValue)]
    public long MaxDatasetBytes { get; set; } = 50L * 1024 * 1024;

    [Range(0, long.MaxValue)]
    public long MaxStorageBytes { get; set; } = 500L * 1024 * 1024;
}

/// <summary>Puts a newly signed-up organisation on the sign-up plan (creating the plan the first time).</summary>
public sealed class AssignSignUpPlanCommand(IOptions<SignUpOptions> options, PlanQueries plans, SavePlanCommand savePlan,
    AssignPlanCommand assignPlan, ILogger<AssignSignUpPlanCommand> logger)
{
    public async Task ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.PlanCode))
            return;
        var plan = await FindAsync(o.PlanCode, cancellationToken);
        if (plan is null)
        {
            var saved = await savePlan.ExecuteAsync(new Plan(Guid.CreateVersion7(), o.PlanCode, o.PlanName, o.Currency, 0m,
                o.IncludedGpuHours, o.IncludedCpuHours, 0m, 0m, o.MaxConcurrentJobs, o.MaxDatasetBytes, o.MaxStorageBytes, CapMode.Hard), cancellationToken);
            // Another sign-up may have created it a moment ago (the code is unique): use that one.
            plan = saved.IsSuccess ? saved.Value : await FindAsync(o.PlanCode, cancellationToken);
        }
        var assigned = plan is null ? null : await assignPlan.ExecuteAsync(tenantId, plan.Id, cancellationToken: cancellationToken);
        if (assigned is not { IsSuccess: true })
        {
            // The account and organisation exist; an admin can assign a plan on the tenant page.
            logger.LogWarning("Organisation {TenantId} was created without the {PlanCode} sign-up plan: {Error}", tenantId, o.PlanCode,
                assigned?.Error ?? "the plan could not be created");
        }
    }

    private async Task<Plan?> FindAsync(string code, CancellationToken cancellationToken) =>
        (await plans.ListAsync(cancellationToken)).FirstOrDefault(p => p.Code == code);
}
