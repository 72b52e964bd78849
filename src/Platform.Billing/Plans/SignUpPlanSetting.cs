using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Billing.Plans;

/// <summary>
/// The one setting that names the plan a new organisation starts on: <c>SignUp:PlanCode</c>, beside the
/// plan's other sign-up values. Billing's in-transaction subscription (<see cref="SignUpSubscription"/>)
/// and the web tier's plan creation read the same resolved code, so they cannot put a tenant on two
/// plans. <c>Billing:SignUpPlanCode</c> (issue 13's earlier name) is still read when the new one is
/// absent, with a warning, so existing configurations keep working. An empty value means no plan.
/// </summary>
public static class SignUpPlanSetting
{
    public const string Name = "SignUp:PlanCode";
    public const string OldName = "Billing:SignUpPlanCode";
    public const string Default = "free";

    /// <summary>The code in force and, when the configuration needs attention, why.</summary>
    public static (string Code, string? Warning) Resolve(IConfiguration configuration)
    {
        var current = configuration[Name];
        var old = configuration[OldName];
        if (current is not null)
        {
            return old is not null && !string.Equals(old.Trim(), current.Trim(), StringComparison.Ordinal)
                ? (current.Trim(), $"{OldName} ('{old}') is ignored: {Name} ('{current}') names the sign-up plan. Remove {OldName}.")
                : (current.Trim(), old is null ? null : $"{OldName} is deprecated and no longer needed next to {Name}. Remove it.");
        }
        return old is not null
            ? (old.Trim(), $"{OldName} is deprecated: rename it to {Name} (the value '{old}' is used).")
            : (Default, null);
    }
}

/// <summary>Sets <see cref="BillingOptions.SignUpPlanCode"/> from <see cref="SignUpPlanSetting"/> and logs its warning once.</summary>
internal sealed class SignUpPlanCodeFromSetting(IConfiguration configuration, ILogger<SignUpPlanCodeFromSetting> logger)
    : IPostConfigureOptions<BillingOptions>
{
    public void PostConfigure(string? name, BillingOptions options)
    {
        var (code, warning) = SignUpPlanSetting.Resolve(configuration);
        options.SignUpPlanCode = code;
        if (warning is not null)
            logger.LogWarning("Sign-up plan setting: {Warning}", warning);
    }
}
