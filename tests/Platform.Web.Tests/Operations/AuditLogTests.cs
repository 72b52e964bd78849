using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Billing.Plans;
using Platform.Data;
using Platform.Data.ApiKeys;
using Platform.Data.Audit;
using Platform.Data.Tenants;
using Platform.Domain.Billing;
using Platform.Domain.Tenants;
using Platform.Jobs.Limits;
using Platform.Jobs.Privacy;
using Platform.Web.Tests.Admin;
using Platform.Web.Tests.Billing;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Operations;

/// <summary>
/// The audit log: each class of admin, finance and owner action leaves one entry, written by the real
/// command (or page) in its transaction, with who, the tenant, and the state before and after; the
/// admin page filters and pages it, an owner sees their own organisation's entries only, and erasure
/// keeps the entries without their personal data.
/// </summary>
public sealed class AuditLogTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task SuspendAndReactivate_ByAdmin_RecordActorTenantAndStatusBeforeAndAfter()
    {
        var admin = await portal.CreateUserAsync(null, Platform.Data.Identity.PlatformRoles.PlatformAdmin);
        var owner = await JobTestKit.OwnerAsync(portal);

        await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SuspendTenantCommand>().ExecuteAsync(owner.TenantId, "Unpaid invoices"));
        await AsUserAsync(admin.Id, sp => sp.GetRequiredService<ReactivateTenantCommand>().ExecuteAsync(owner.TenantId));

        var entries = await EntriesAsync(owner.TenantId);
        var suspend = Assert.Single(entries, e => e.Action == AuditActions.TenantSuspend);
        Assert.Equal((admin.Id, admin.Email), (suspend.ActorUserId, suspend.ActorEmail));
        Assert.Equal("Active", Json(suspend.Before).GetProperty("status").GetString());
        Assert.Equal(("Suspended", "Unpaid invoices"),
            (Json(suspend.After).GetProperty("status").GetString(), Json(suspend.After).GetProperty("reason").GetString()));
        var reactivate = Assert.Single(entries, e => e.Action == AuditActions.TenantReactivate);
        Assert.Equal("Suspended", Json(reactivate.Before).GetProperty("status").GetString());
        Assert.Equal("Active", Json(reactivate.After).GetProperty("status").GetString());
    }

    [Fact]
    public async Task PlanQuotaAndLimits_ByAdmin_RecordEachChangeWithBeforeAndAfter()
    {
        var admin = await portal.CreateUserAsync(null, Platform.Data.Identity.PlatformRoles.PlatformAdmin);
        var owner = await JobTestKit.OwnerAsync(portal);
        var plan = await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(
            new Plan(Guid.NewGuid(), $"audit-{Guid.NewGuid():N}"[..20], "Audit", "USD", 10m, 1m, 2m, 1m, 1m, 2, 1L << 30, 1L << 31, CapMode.Hard)));

        await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan.Value with { MonthlyFee = 12m }));
        await AsUserAsync(admin.Id, sp => sp.GetRequiredService<AssignPlanCommand>().ExecuteAsync(owner.TenantId, plan.Value.Id));
        await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SetQuotaOverrideCommand>().ExecuteAsync(owner.TenantId,
            new QuotaOverride(3m, 0m, CapMode.Soft, "pilot")));
        await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SetTenantJobLimitsCommand>().ExecuteAsync(owner.TenantId, 2, 5));

        var saves = (await EntriesAsync(null, AuditActions.PlanSave)).Where(e => e.Target == plan.Value.Code).ToList();
        Assert.Equal(2, saves.Count);
        Assert.Null(saves[1].Before);
        Assert.Equal((10m, 12m), (Json(saves[0].Before).GetProperty("monthly_fee").GetDecimal(), Json(saves[0].After).GetProperty("monthly_fee").GetDecimal()));
        var entries = await EntriesAsync(owner.TenantId);
        var assign = Assert.Single(entries, e => e.Action == AuditActions.PlanAssign);
        Assert.Equal(plan.Value.Code, Json(assign.After).GetProperty("plan").GetString());
        Assert.Equal(admin.Id, assign.ActorUserId);
        var quota = Assert.Single(entries, e => e.Action == AuditActions.QuotaOverride);
        Assert.Null(quota.Before);
        Assert.Equal((3m, "Soft"), (Json(quota.After).GetProperty("extraGpuHours").GetDecimal(), Json(quota.After).GetProperty("capMode").GetString()));
        // The plan's assignment set the plan's concurrency first (its own entry); the admin's change is the newest.
        var limits = entries.First(e => e.Action == AuditActions.JobLimitsSet);
        Assert.Equal(2, entries.Count(e => e.Action == AuditActions.JobLimitsSet));
        Assert.Equal((2, 5), (Json(limits.After).GetProperty("maxConcurrent").GetInt32(), Json(limits.After).GetProperty("maxActive").GetInt32()));
    }

    [Fact]
    public async Task InvoicePaidAndCreditNote_ByFinanceOnItsPages_RecordFinanceUserAndAmounts()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);
        using var finance = await BillingKit.FinanceClientAsync(portal);
        var page = await finance.GetAsync($"/finance/invoices/{invoiced.Invoice.InvoiceId}");

        var paid = await finance.SubmitAsync(page, "#status-form", new Dictionary<string, string> { ["Target"] = "paid" });
        await finance.SubmitAsync(paid, "#credit-form", new Dictionary<string, string> { ["CreditAmount"] = "12.50", ["CreditReason"] = "Outage" });

        var entries = await EntriesAsync(owner.TenantId);
        // Closing the period may have finalized the draft (draft to open) already: the finance user's move is the one to paid.
        var status = Assert.Single(entries, e => e.Action == AuditActions.InvoiceStatus && e.After!.Contains("Paid"));
        Assert.Equal(invoiced.Invoice.Number, status.Target);
        Assert.Equal(("Open", "Paid"), (Json(status.Before).GetProperty("status").GetString(), Json(status.After).GetProperty("status").GetString()));
        Assert.NotNull(status.ActorEmail);
        var credit = Assert.Single(entries, e => e.Action == AuditActions.CreditNoteCreate);
        Assert.Equal((12.50m, "Outage"), (Json(credit.After).GetProperty("amount").GetDecimal(), Json(credit.After).GetProperty("reason").GetString()));
        Assert.Equal(status.ActorUserId, credit.ActorUserId);
    }

    [Fact]
    public async Task MembersAndApiKeys_ByOwner_RecordInviteJoinRemoveCreateAndRevoke()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invitee = await portal.CreateUserAsync();
        var invitation = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<InviteMemberCommand>()
            .ExecuteAsync(invitee.Email!, TenantRole.Member));
        await AsUserAsync(invitee.Id, sp => sp.GetRequiredService<AcceptInvitationCommand>().ExecuteAsync(invitation.Value.Token));
        await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<RemoveMemberCommand>().ExecuteAsync(invitee.Id));
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("ci"));
        await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<RevokeApiKeyCommand>().ExecuteAsync(key.Value.Id));

        var entries = await EntriesAsync(owner.TenantId);
        Assert.Equal([AuditActions.ApiKeyRevoke, AuditActions.ApiKeyCreate, AuditActions.MemberRemove, AuditActions.MemberJoin, AuditActions.MemberInvite],
            entries.Select(e => e.Action));
        Assert.Equal(invitee.Email, Json(entries.Single(e => e.Action == AuditActions.MemberInvite).After).GetProperty("email").GetString());
        Assert.Equal(invitee.Id, entries.Single(e => e.Action == AuditActions.MemberJoin).ActorUserId);
        Assert.Equal(invitee.Email, Json(entries.Single(e => e.Action == AuditActions.MemberRemove).Before).GetProperty("email").GetString());
        var revoke = entries.Single(e => e.Action == AuditActions.ApiKeyRevoke);
        Assert.Equal((key.Value.Id.ToString(), JsonValueKind.Null, JsonValueKind.String),
            (revoke.Target, Json(revoke.Before).GetProperty("revokedAt").ValueKind, Json(revoke.After).GetProperty("revokedAt").ValueKind));
        Assert.All(entries.Where(e => e.Action != AuditActions.MemberJoin), e => Assert.Equal(owner.UserId, e.ActorUserId));
        // The plain key is in no entry.
        Assert.DoesNotContain(entries, e => (e.After ?? "").Contains(key.Value.PlainText, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailedAction_WritesNoEntry_AndTheLogRefusesDeletes()
    {
        var admin = await portal.CreateUserAsync(null, Platform.Data.Identity.PlatformRoles.PlatformAdmin);
        var missing = Guid.NewGuid();

        var result = await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SuspendTenantCommand>().ExecuteAsync(missing, "x"));
        var limits = await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SetTenantJobLimitsCommand>().ExecuteAsync(missing, 1, 1));

        Assert.False(result.IsSuccess);
        Assert.False(limits.IsSuccess);
        Assert.Empty(await EntriesAsync(missing));
        var owner = await JobTestKit.OwnerAsync(portal);
        await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SuspendTenantCommand>().ExecuteAsync(owner.TenantId, "x"));
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            JobTestKit.ExecuteAsync(portal, $"DELETE FROM audit_log WHERE tenant_id = '{owner.TenantId}'"));
        Assert.Contains("append-only", error.MessageText);
        Assert.Single(await EntriesAsync(owner.TenantId));
    }

    [Fact]
    public async Task Erasure_KeepsTheTenantsEntriesAndRecordsItself_WithoutTheErasedPeoplesEmails()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invitee = await portal.CreateUserAsync();
        var name = await portal.Database.ScalarAsync<string>($"SELECT name FROM tenants WHERE id = '{owner.TenantId}'");
        await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<InviteMemberCommand>().ExecuteAsync(invitee.Email!, TenantRole.Member));
        var ownerEmail = await portal.Database.ScalarAsync<string>($"SELECT email FROM users WHERE id = '{owner.UserId}'");

        var erased = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<EraseTenantCommand>().ExecuteAsync(owner.TenantId, name));

        Assert.True(erased.IsSuccess, erased.ToString());
        Assert.Contains(owner.UserId, erased.Value.AccountsDeleted!);
        var entries = await EntriesAsync(owner.TenantId);
        Assert.Equal([AuditActions.TenantErase, AuditActions.MemberInvite], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal((owner.UserId, (string?)null), (e.ActorUserId, e.ActorEmail)));
        Assert.False(Json(entries[1].After).TryGetProperty("email", out _));
        Assert.Equal("Member", Json(entries[1].After).GetProperty("role").GetString());
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM audit_log WHERE actor_email = '{ownerEmail}' OR before::text LIKE '%{invitee.Email}%' OR after::text LIKE '%{invitee.Email}%'"));
    }

    [Fact]
    public async Task AdminPage_FiltersByTenantActorAndAction_AndPagesOlderEntries()
    {
        var admin = await portal.CreateUserAsync(null, Platform.Data.Identity.PlatformRoles.PlatformAdmin);
        var owner = await JobTestKit.OwnerAsync(portal);
        for (var i = 0; i < 3; i++)
        {
            await AsUserAsync(admin.Id, sp => sp.GetRequiredService<SuspendTenantCommand>().ExecuteAsync(owner.TenantId, $"reason {i}"));
            await AsUserAsync(admin.Id, sp => sp.GetRequiredService<ReactivateTenantCommand>().ExecuteAsync(owner.TenantId));
        }
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);

        var suspends = await client.GetAsync($"/admin/audit?tenant={owner.TenantId}&action=tenant.suspend&actor={Uri.EscapeDataString(admin.Email!)}");
        var firstPage = await portal.WithServicesAsync(sp => sp.GetRequiredService<ListAuditLogQuery>()
            .ExecuteAsync(new AuditLogFilter(owner.TenantId, PageSize: 4), platformWide: true));
        var secondPage = await portal.WithServicesAsync(sp => sp.GetRequiredService<ListAuditLogQuery>()
            .ExecuteAsync(new AuditLogFilter(owner.TenantId, BeforeId: firstPage.Value.NextBeforeId, PageSize: 4), platformWide: true));

        Assert.Equal(HttpStatusCode.OK, suspends.Status);
        var rows = suspends.Document.QuerySelectorAll("#audit-table tbody tr");
        Assert.Equal(3, rows.Length);
        Assert.All(rows, row => Assert.Equal(AuditActions.TenantSuspend, row.GetAttribute("data-action")));
        Assert.Contains("reason 2", rows[0].TextContent);
        Assert.Equal(4, firstPage.Value.Entries.Count);
        Assert.Equal(2, secondPage.Value.Entries.Count);
        Assert.Null(secondPage.Value.NextBeforeId);
        Assert.True(secondPage.Value.Entries[0].Id < firstPage.Value.Entries[^1].Id);
    }

    [Fact]
    public async Task OwnerPage_ListsOnlyTheirOrganisation_AndMembersAndNonAdminsAreRefused()
    {
        var (ownerClient, tenantId) = await AdminTestKit.SignedInOwnerAsync(portal);
        var other = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.AsTenantAsync(portal, other, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("other"));
        var keysPage = await ownerClient.GetAsync("/settings/api-keys");
        await ownerClient.SubmitAsync(keysPage, "#create-key-form", new Dictionary<string, string> { ["KeyName"] = "mine" });
        var member = await portal.CreateUserAsync();
        await portal.AddMemberAsync(tenantId, member);
        using var memberClient = portal.CreatePortalClient();
        await memberClient.SignInAsync(member.Email!);

        var own = await ownerClient.GetAsync($"/settings/audit?tenant={other.TenantId}");
        var asMember = await memberClient.GetAsync("/settings/audit");
        var adminPage = await ownerClient.GetAsync("/admin/audit");

        var rows = own.Document.QuerySelectorAll("#audit-table tbody tr");
        Assert.Equal(AuditActions.ApiKeyCreate, Assert.Single(rows).GetAttribute("data-action"));
        Assert.Contains("mine", rows[0].TextContent);
        Assert.Contains("Only an owner", asMember.Text("#audit-error"));
        Assert.NotEqual(HttpStatusCode.OK, adminPage.Status);
    }

    private Task<T> AsUserAsync<T>(Guid userId, Func<IServiceProvider, Task<T>> action) =>
        portal.WithServicesAsync(async sp =>
        {
            sp.GetRequiredService<CurrentTenant>().Set(null, userId);
            return await action(sp);
        });

    private async Task<IReadOnlyList<AuditEntryView>> EntriesAsync(Guid? tenantId, string? action = null)
    {
        var page = await portal.WithServicesAsync(sp => sp.GetRequiredService<ListAuditLogQuery>()
            .ExecuteAsync(new AuditLogFilter(tenantId, Action: action, PageSize: ListAuditLogQuery.MaxPageSize), platformWide: true));
        // Platform-wide entries (a plan's prices) have no tenant: the filter by null lists everything.
        return tenantId is null ? page.Value.Entries : page.Value.Entries.Where(e => e.TenantId == tenantId).ToList();
    }

    private static JsonElement Json(string? text) => JsonDocument.Parse(text ?? "null").RootElement;
}
