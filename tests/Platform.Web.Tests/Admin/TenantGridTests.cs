using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Identity;
using Platform.Web.Admin;
using Platform.Web.Components.Pages.Admin;
using Platform.Web.Tests.Billing;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Admin;

/// <summary>
/// The admin's tenants grid over the real database: the search, status and plan filters and the usage
/// sort run in PostgreSQL (TenantGridQuery); the grid is for platform admins only.
/// </summary>
public sealed class TenantGridTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    /// <summary>Three organisations with one marker in their names: one on a plan with an hour of GPU time, one suspended.</summary>
    private async Task<(string Marker, Guid Busy, Guid Quiet, Guid Suspended)> ThreeTenantsAsync()
    {
        var marker = $"grid{Guid.NewGuid():N}"[..12];
        var owner = await portal.CreateUserAsync();
        var busy = await portal.CreateTenantAsync(owner, $"{marker} Busy");
        var quiet = await portal.CreateTenantAsync(owner, $"{marker} Quiet");
        var suspended = await portal.CreateTenantAsync(owner, $"{marker} Late");
        await BillingKit.AssignPlanAsync(portal, busy.Id);
        await BillingKit.FinishedJobAsync(portal, busy.Id, seconds: 3600);
        await BillingKit.TickAsync(portal);
        await portal.WithServicesAsync(sp => sp.GetRequiredService<Platform.Data.Tenants.SuspendTenantCommand>().ExecuteAsync(suspended.Id, "Unpaid"));
        // New organisations start on the sign-up plan; the quiet one has none.
        await portal.Database.ScalarAsync<int>($"WITH d AS (DELETE FROM subscriptions WHERE tenant_id = '{quiet.Id}' RETURNING 1) SELECT count(*)::int FROM d");
        return (marker, busy.Id, quiet.Id, suspended.Id);
    }

    private Task<Platform.Jobs.Portal.GridPage<TenantGridRow>> ListAsync(TenantGridRequest request) =>
        portal.WithServicesAsync(sp => sp.GetRequiredService<TenantGridQuery>().ListAsync(request));

    [Fact]
    public async Task Query_SearchStatusPlanAndUsageSort_RunInTheDatabase()
    {
        var (marker, busy, quiet, suspended) = await ThreeTenantsAsync();

        var byUsage = await ListAsync(new TenantGridRequest(SortBy: "UsageSeconds", Descending: true, Search: marker.ToUpperInvariant()));
        var onlySuspended = await ListAsync(new TenantGridRequest(Search: marker, Status: "Suspended"));
        var busyPlan = byUsage.Items[0].PlanId!.Value;
        var onPlan = await ListAsync(new TenantGridRequest(Search: marker, PlanId: busyPlan));
        var withoutPlan = await ListAsync(new TenantGridRequest(Search: marker, PlanId: Guid.Empty, SortBy: "Name"));
        var secondPage = await ListAsync(new TenantGridRequest(Page: 1, PageSize: 2, Search: marker, SortBy: "Name"));

        Assert.Equal(3, byUsage.Total);
        Assert.Equal(busy, byUsage.Items[0].Id);
        Assert.Equal("Starter", byUsage.Items[0].PlanName);
        Assert.True(byUsage.Items[0].UsageSeconds >= 3600, $"{byUsage.Items[0].UsageSeconds} s");
        Assert.Equal([suspended], onlySuspended.Items.Select(t => t.Id));
        Assert.Equal([busy], onPlan.Items.Select(t => t.Id));
        Assert.Equal([quiet], withoutPlan.Items.Select(t => t.Id));
        Assert.Equal((3, 1), (secondPage.Total, secondPage.Items.Count));
        Assert.Equal(quiet, secondPage.Items[0].Id);
        // "%" is a plain character in a search, not a wildcard.
        Assert.Equal(0, (await ListAsync(new TenantGridRequest(Search: marker + "%"))).Total);
    }

    [Fact]
    public async Task Grid_Admin_FiltersByStatusAndSearch()
    {
        var (marker, _, _, suspended) = await ThreeTenantsAsync();
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit.Start(scope.ServiceProvider, admin.Id, [typeof(TenantGridQuery)], PlatformRoles.PlatformAdmin);

        var grid = circuit.Render<TenantGrid>();
        await Circuit.EventuallyAsync(() => grid.Find("#tenant-search"));
        grid.Find("#tenant-search").Input(marker);
        await Circuit.EventuallyAsync(() => Assert.Equal(3, Names(grid).Length));

        grid.Find("#tenant-search").Input($"{marker} late");
        await Circuit.EventuallyAsync(() => Assert.Equal([$"{marker} Late"], Names(grid)));
        var row = grid.Find($".tenant-name[data-tenant='{suspended}']").Closest("tr")!;
        Assert.Contains("Suspended", row.TextContent);
        Assert.Equal($"/admin/tenants/{suspended}", grid.Find($".tenant-name[data-tenant='{suspended}']").GetAttribute("href"));
    }

    [Fact]
    public async Task Grid_NotAnAdmin_ShowsNothing()
    {
        var user = await portal.CreateUserAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit.Start(scope.ServiceProvider, user.Id, [typeof(TenantGridQuery)]);

        var grid = circuit.Render<TenantGrid>();

        await Circuit.EventuallyAsync(() => grid.Find("#tenant-grid-denied"));
        Assert.Empty(grid.FindAll("#tenant-table"));
    }

    private static string[] Names(IRenderedComponent<TenantGrid> grid) =>
        grid.FindAll("#tenant-table tbody .tenant-name").Select(a => a.TextContent).ToArray();
}
