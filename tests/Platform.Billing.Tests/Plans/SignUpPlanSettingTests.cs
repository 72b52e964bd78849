using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Billing.Plans;
using Platform.Data.Tenants;
using Platform.Testing;

namespace Platform.Billing.Tests.Plans;

/// <summary>One setting names the sign-up plan (SignUp:PlanCode); the old Billing:SignUpPlanCode is still read.</summary>
public sealed class SignUpPlanSettingTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Resolve_NeitherSet_IsFreeWithoutWarning()
    {
        Assert.Equal(("free", null), SignUpPlanSetting.Resolve(Config()));
    }

    [Fact]
    public void Resolve_OnlyTheOldName_IsUsedWithAWarningToRename()
    {
        var (code, warning) = SignUpPlanSetting.Resolve(Config(("Billing:SignUpPlanCode", "starter")));
        Assert.Equal("starter", code);
        Assert.Contains("rename it to SignUp:PlanCode", warning);
    }

    [Fact]
    public void Resolve_BothDiffer_TheNewNameWinsAndTheOldIsReportedIgnored()
    {
        var (code, warning) = SignUpPlanSetting.Resolve(Config(("SignUp:PlanCode", "trial"), ("Billing:SignUpPlanCode", "starter")));
        Assert.Equal("trial", code);
        Assert.Contains("is ignored", warning);
    }

    [Fact]
    public void Resolve_NewNameEmpty_MeansNoPlan()
    {
        Assert.Equal(("", null), SignUpPlanSetting.Resolve(Config(("SignUp:PlanCode", ""))));
    }
}

/// <summary>The container reads either name into BillingOptions and puts the new organisation on that plan.</summary>
public sealed class SignUpPlanSettingHostTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();

    public Task InitializeAsync()
    {
        // The old name only, as a configuration written before the two settings were folded: it still works.
        _host.Settings["Billing:SignUpPlanCode"] = "legacy";
        return _host.InitializeAsync();
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task SignUp_OldSettingName_PutsTheOrganisationOnThatPlan()
    {
        Assert.Equal("legacy", _host.Services.GetRequiredService<IOptions<BillingOptions>>().Value.SignUpPlanCode);
        await _host.Database.ScalarAsync<int>("""
            INSERT INTO billing_plans (id, code, name, currency, monthly_fee, included_gpu_hours, included_cpu_hours, gpu_overage_per_hour,
                cpu_overage_per_hour, max_concurrent_jobs, max_dataset_bytes, max_storage_bytes, cap_mode)
            VALUES (gen_random_uuid(), 'legacy', 'Legacy', 'USD', 0, 2, 2, 0, 0, 1, 1000000, 1000000, 'Hard') RETURNING 1
            """);
        var user = await Seed.UserAsync(_host.Database);
        var created = await _host.RunAsync(sp => sp.GetRequiredService<CreateTenantForNewUserCommand>().ExecuteAsync(user.Id, "Old Config Ltd"));
        Assert.True(created.IsSuccess, created.Error);
        Assert.Equal("legacy", await _host.Database.ScalarAsync<string>(
            "SELECT p.code FROM subscription_plan_changes c JOIN billing_plans p ON p.id = c.plan_id"));
    }
}
