using System.Net;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;
using Platform.Web.Components.Pages.Admin;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Tenants;

/// <summary>
/// Suspend and reactivate from the tenant's admin page: the status card on a circuit asks in a dialog,
/// runs the real command (with its audit entry naming the admin) and reports in a snackbar; the tenant
/// then sees the reason and loses uploads.
/// </summary>
public sealed class SuspensionTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly Type[] Services =
        [typeof(Npgsql.NpgsqlDataSource), typeof(PlatformDbContext), typeof(CurrentTenant), typeof(SuspendTenantCommand), typeof(ReactivateTenantCommand)];

    private async Task<(ApplicationUser Owner, Guid TenantId, ApplicationUser Admin)> TenantAndAdminAsync(string name)
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner, name);
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        return (owner, tenant.Id, admin);
    }

    private Task<string> StatusAsync(Guid tenantId) =>
        portal.Database.ScalarAsync<string>($"SELECT status FROM tenants WHERE id = '{tenantId}'");

    [Fact]
    public async Task Suspend_ConfirmedByAdmin_TenantSeesReasonAndUploadFormIsGone()
    {
        var (owner, tenantId, admin) = await TenantAndAdminAsync("Late Payer");
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit.Start(scope.ServiceProvider, admin.Id, Services, PlatformRoles.PlatformAdmin);
        var card = circuit.Render<TenantSuspension>(p => p.Add(c => c.TenantId, tenantId));
        await Circuit.EventuallyAsync(() => card.Find("#suspend"));

        // Keep active: nothing changes.
        card.Find("#reason").Input("Invoice 42 is 60 days overdue");
        await Circuit.AnswerAsync(circuit, card, await Circuit.ClickAsync(card, () => card.Find("#suspend")), "Keep active");
        Assert.Equal("Active", await StatusAsync(tenantId));

        await Circuit.AnswerAsync(circuit, card, await Circuit.ClickAsync(card, () => card.Find("#suspend")), "Suspend");

        Assert.True(await StatusAsync(tenantId) == "Suspended", card.Markup);
        await Circuit.EventuallyAsync(() => Assert.Contains("Late Payer is suspended.", card.Markup));
        await Circuit.EventuallyAsync(() => Assert.Equal("Invoice 42 is 60 days overdue", card.Find("#suspension-reason").TextContent));
        Assert.Equal(admin.Id, await portal.Database.ScalarAsync<Guid>(
            $"SELECT actor_user_id FROM audit_log WHERE tenant_id = '{tenantId}' AND action = 'tenant.suspend'"));

        using var ownerClient = portal.CreatePortalClient();
        await ownerClient.SignInAsync(owner.Email!);
        var dashboard = await ownerClient.GetAsync("/");
        var upload = await ownerClient.GetAsync("/datasets/new");
        Assert.Equal(HttpStatusCode.OK, dashboard.Status);
        Assert.Contains("Invoice 42 is 60 days overdue", dashboard.Text(".suspended-banner"));
        Assert.Equal("Suspended", dashboard.Text("#stat-status .stat-value"));
        Assert.False(upload.Has("#upload-form"));
        Assert.Contains("Uploads are disabled", upload.Text("#upload-disabled"));
    }

    [Fact]
    public async Task Reactivate_Confirmed_UploadFormReturns()
    {
        var (owner, tenantId, admin) = await TenantAndAdminAsync("Paid Up");
        await portal.WithServicesAsync(sp => sp.GetRequiredService<SuspendTenantCommand>().ExecuteAsync(tenantId, "Chargeback under review"));
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit.Start(scope.ServiceProvider, admin.Id, Services, PlatformRoles.PlatformAdmin);
        var card = circuit.Render<TenantSuspension>(p => p.Add(c => c.TenantId, tenantId));
        await Circuit.EventuallyAsync(() => card.Find("#reactivate"));

        await Circuit.AnswerAsync(circuit, card, await Circuit.ClickAsync(card, () => card.Find("#reactivate")), "Reactivate");

        Assert.True(await StatusAsync(tenantId) == "Active", card.Markup);
        await Circuit.EventuallyAsync(() => Assert.Contains("Paid Up is active again.", card.Markup));
        using var ownerClient = portal.CreatePortalClient();
        await ownerClient.SignInAsync(owner.Email!);
        Assert.True((await ownerClient.GetAsync("/datasets/new")).Has("#upload-form"));
    }

    [Fact]
    public async Task Suspend_EmptyReason_IsRefusedWithoutAsking()
    {
        var (_, tenantId, admin) = await TenantAndAdminAsync("No Reason");
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit.Start(scope.ServiceProvider, admin.Id, Services, PlatformRoles.PlatformAdmin);
        var card = circuit.Render<TenantSuspension>(p => p.Add(c => c.TenantId, tenantId));
        await Circuit.EventuallyAsync(() => card.Find("#suspend"));

        await await Circuit.ClickAsync(card, () => card.Find("#suspend"));

        await Circuit.EventuallyAsync(() => Assert.Contains("Say why: the tenant sees this reason.", card.Markup));
        Assert.DoesNotContain(card.FindAll("button"), b => b.TextContent.Trim() == "Keep active");
        Assert.Equal("Active", await StatusAsync(tenantId));
    }

    [Fact]
    public async Task DetailPage_RendersTheStatusCardForTheTenant()
    {
        var (_, tenantId, admin) = await TenantAndAdminAsync("Prerendered Co");
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);

        var page = await client.GetAsync($"/admin/tenants/{tenantId}");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("Active", page.Document.QuerySelector("#tenant-status-card")!.GetAttribute("data-status"));
    }
}
