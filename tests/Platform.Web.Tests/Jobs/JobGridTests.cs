using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;
using Platform.Jobs.Catalog;
using Platform.Jobs.Portal;
using Platform.Jobs.Queue;
using Platform.Web.Accounts;
using Platform.Web.Components.Pages.Jobs;
using Platform.Web.Tests.Infrastructure;
using static Platform.Web.Tests.Infrastructure.Circuit;

namespace Platform.Web.Tests.Jobs;

/// <summary>
/// The jobs grid on a circuit (bunit, interactive) over the real database: the state filter, the
/// search and the sort run in PostgreSQL; Cancel asks first; the admin's grid is for admins only.
/// </summary>
public sealed class JobGridTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<(Owner Owner, Guid Done, Guid Queued)> TwoJobsAsync()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var dataset = await JobTestKit.UploadCsvAsync(owner.Client);
        var done = await JobTestKit.LaunchAsync(portal, owner, dataset);
        var queued = await JobTestKit.LaunchAsync(portal, owner, dataset);
        await JobTestKit.ExecuteAsync(portal, $$"""
            DELETE FROM job_queue WHERE job_id = '{{done}}';
            UPDATE jobs SET name = 'alpha spam filter', state = 'Succeeded', started_at = now() - interval '95 seconds', finished_at = now(),
                result = '{"accuracy": 0.9, "macroF1": 0.875}' WHERE id = '{{done}}';
            UPDATE jobs SET name = 'beta spam filter' WHERE id = '{{queued}}';
            """);
        return (owner, done, queued);
    }

    private static BunitContext Circuit(AsyncServiceScope scope, Guid userId, params string[] roles) =>
        Start(scope.ServiceProvider, userId, [typeof(JobGridQuery), typeof(JobQueue)], roles);

    private static string[] Names(IRenderedComponent<JobGrid> grid) =>
        grid.FindAll("#job-table tbody .job-name").Select(a => a.TextContent).ToArray();

    [Fact]
    public async Task Render_ShowsModelPresetDurationAndMacroF1()
    {
        var (owner, done, _) = await TwoJobsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner.UserId);

        var grid = circuit.Render<JobGrid>(p => p.Add(g => g.TenantId, owner.TenantId));

        await EventuallyAsync(() => Assert.Equal(2, Names(grid).Length));
        var row = grid.Find($".job-name[data-job='{done}']").Closest("tr")!;
        Assert.Contains(DemoBaseModels.BertName, row.TextContent);
        Assert.Contains("fast", row.TextContent);
        Assert.Contains("1 min 35 s", row.TextContent);
        Assert.Equal("0.875", row.QuerySelector(".job-macro-f1")!.TextContent);
    }

    [Fact]
    public async Task StateChipAndSearch_FilterInTheDatabase()
    {
        var (owner, _, queued) = await TwoJobsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner.UserId);
        var grid = circuit.Render<JobGrid>(p => p.Add(g => g.TenantId, owner.TenantId));
        await EventuallyAsync(() => Assert.Equal(2, Names(grid).Length));

        await grid.Find(".job-filters [data-state=Queued]").ClickAsync(new());
        await EventuallyAsync(() => Assert.Equal(["beta spam filter"], Names(grid)));

        await grid.Find(".job-filters [data-state='']").ClickAsync(new());
        grid.Find("#job-search").Input("ALPHA");
        await EventuallyAsync(() => Assert.Equal(["alpha spam filter"], Names(grid)));

        // Ids of jobs made in the same millisecond share their first characters (version 7): the whole id.
        grid.Find("#job-search").Input(queued.ToString().ToUpperInvariant());
        await EventuallyAsync(() => Assert.Equal(["beta spam filter"], Names(grid)));
    }

    [Fact]
    public async Task Cancel_Confirmed_CancelsTheQueuedJobAndSaysSo()
    {
        var (owner, _, queued) = await TwoJobsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner.UserId);
        var grid = circuit.Render<JobGrid>(p => p.Add(g => g.TenantId, owner.TenantId).Add(g => g.CanCancel, true));
        await EventuallyAsync(() => grid.Find($".job-cancel[data-job='{queued}']"));

        // Keep it: nothing happens.
        var asking = await ClickAsync(grid, () => grid.Find($".job-cancel[data-job='{queued}']"));
        await EventuallyAsync(() => Assert.Contains("Cancel this job?", grid.Markup));
        await await ClickAsync(grid, () => grid.FindAll("button").Single(b => b.TextContent.Trim() == "Keep it"));
        await asking;
        Assert.Equal("Queued", await StateAsync(queued));

        var cancelling = await ClickAsync(grid, () => grid.Find($".job-cancel[data-job='{queued}']"));
        await EventuallyAsync(() => Assert.Contains("Cancel this job?", grid.Markup));
        await await ClickAsync(grid, () => grid.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel job"));
        await cancelling;

        Assert.Equal("Cancelled", await StateAsync(queued));
        await EventuallyAsync(() => Assert.Contains("“beta spam filter” is cancelled.", grid.Markup));
        await EventuallyAsync(() => Assert.Empty(grid.FindAll(".job-cancel")));
    }

    [Fact]
    public async Task AcrossTenants_Admin_SeesEveryTenantAndFiltersByTenant()
    {
        var (first, done, _) = await TwoJobsAsync();
        var (second, _, _) = await TwoJobsAsync();
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, admin.Id, PlatformRoles.PlatformAdmin);

        var grid = circuit.Render<JobGrid>(p => p.Add(g => g.AcrossTenants, true));

        await EventuallyAsync(() => Assert.NotEmpty(grid.FindAll($".job-name[data-job='{done}']")));
        var tenantLinks = grid.FindAll("#job-table tbody a[href^='/admin/tenants/']").Select(a => a.GetAttribute("href")).ToHashSet();
        Assert.Contains($"/admin/tenants/{first.TenantId}", tenantLinks);
        Assert.Contains($"/admin/tenants/{second.TenantId}", tenantLinks);
    }

    [Fact]
    public async Task AcrossTenants_NotAnAdmin_ShowsNothing()
    {
        var (owner, _, _) = await TwoJobsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner.UserId);

        var grid = circuit.Render<JobGrid>(p => p.Add(g => g.AcrossTenants, true));

        await EventuallyAsync(() => grid.Find("#job-grid-denied"));
        Assert.Empty(grid.FindAll("#job-table"));
    }

    [Fact]
    public async Task Query_PagesAndSortsOneTenantOnly()
    {
        var (owner, done, queued) = await TwoJobsAsync();
        await TwoJobsAsync();

        var byName = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<JobGridQuery>()
            .ListAsync(new JobGridRequest(Page: 1, PageSize: 1, SortBy: "Name", Descending: false)));
        var byScore = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<JobGridQuery>()
            .ListAsync(new JobGridRequest(PageSize: 10, SortBy: "MacroF1", Descending: true, Search: "spam_filter")));

        Assert.Equal(2, byName.Total);
        Assert.Equal([queued], byName.Items.Select(j => j.Id));
        // "_" is a plain character in a search, not LIKE's wildcard.
        Assert.Empty(byScore.Items);
        var all = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<JobGridQuery>()
            .ListAsync(new JobGridRequest(SortBy: "MacroF1")));
        Assert.Equal([done, queued], all.Items.Select(j => j.Id));
    }

    private async Task<string> StateAsync(Guid jobId) =>
        await portal.WithServicesAsync(async sp =>
        {
            await using var command = sp.GetRequiredService<Npgsql.NpgsqlDataSource>().CreateCommand($"SELECT state FROM jobs WHERE id = '{jobId}'");
            return (string)(await command.ExecuteScalarAsync())!;
        });
}
