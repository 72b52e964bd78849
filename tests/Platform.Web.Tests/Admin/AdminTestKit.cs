using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Plans;
using Platform.Data.Identity;
using Platform.Domain.Billing;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Admin;

internal static class AdminTestKit
{
    public static async Task<PortalClient> SignedInAdminAsync(PortalFactory portal)
    {
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);
        return client;
    }

    /// <summary>A tenant owner, signed in: not a platform admin.</summary>
    public static async Task<(PortalClient Client, Guid TenantId)> SignedInOwnerAsync(PortalFactory portal)
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(owner.Email!);
        return (client, tenant.Id);
    }

    /// <summary>$100, 10 GPU h, 20 CPU h, hard cap, USD; a fresh code each time.</summary>
    public static async Task<Plan> PlanAsync(PortalFactory portal, string name = "Starter", decimal fee = 100m, string currency = "USD")
    {
        var plan = new Plan(Guid.NewGuid(), $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}"[..20], name, currency, fee, 10m, 20m, 2.5m, 0.1m, 2,
            1L << 30, 10L << 30, CapMode.Hard);
        var saved = await portal.WithServicesAsync(sp => sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan));
        Assert.True(saved.IsSuccess, saved.Error);
        return saved.Value;
    }

    /// <summary>
    /// Posts a form the way a browser would if it had the user's antiforgery token from another page: the
    /// token is per user, not per form, so this is what a non-admin could really send.
    /// </summary>
    public static async Task<Page> PostWithTokenFromAsync(PortalClient client, string tokenPage, string url, string handler,
        IDictionary<string, string> fields)
    {
        var page = await client.GetAsync(tokenPage);
        var token = page.Document.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
            ?? throw new InvalidOperationException($"No antiforgery token on {tokenPage}.");
        var values = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", token), new("_handler", handler) };
        values.AddRange(fields);
        return await client.PostAsync(url, new FormUrlEncodedContent(values));
    }
}
