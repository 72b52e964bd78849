using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Data.Tenants;
using Platform.Jobs.Portal;
using Platform.Web.Accounts;
using Platform.Web.Components.Pages.Jobs;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>
/// The job page's live view as a circuit runs it (bunit, interactive): real database, the real
/// NOTIFY listener of the test server, and the circuit's own tenant check.
/// </summary>
public sealed class JobLiveViewTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    // A guard against a hang, not a timing assertion.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private async Task<(Owner Owner, Guid JobId)> RunningJobAsync()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.ExecuteAsync(portal, $$"""
            UPDATE jobs SET state = 'Running', started_at = now(),
                progress = '{"step": 3, "totalSteps": 40, "epoch": 1, "epochs": 2, "loss": 0.9}' WHERE id = '{{jobId}}'
            """);
        return (owner, jobId);
    }

    /// <summary>A circuit's services: a scope of the test server with the circuit's signed-in user.</summary>
    private BunitContext Circuit(AsyncServiceScope scope, Guid userId)
    {
        // JobEventSignals is the portal's singleton: the scope hands out the same one.
        return Infrastructure.Circuit.Start(scope.ServiceProvider, userId, [typeof(JobQueries), typeof(JobEventSignals)]);
    }

    [Fact]
    public async Task Render_ProgressReported_PushesEachStep()
    {
        var (owner, jobId) = await RunningJobAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner.UserId);

        var view = circuit.Render<JobLiveView>(p => p.Add(v => v.JobId, jobId).Add(v => v.TenantId, owner.TenantId));
        view.WaitForAssertion(() => Assert.Equal("3 / 40", view.Find("#job-step").TextContent), Guard);

        foreach (var step in new[] { 4, 5 })
        {
            // A report as the worker writes it: the progress and the NOTIFY, nothing polled.
            await JobTestKit.ExecuteAsync(portal, $$"""
                UPDATE jobs SET progress = '{"step": {{step}}, "totalSteps": 40, "epoch": 1, "epochs": 2, "loss": 0.5}' WHERE id = '{{jobId}}';
                SELECT pg_notify('platform_job_events', '{{jobId}}')
                """);
            view.WaitForAssertion(() => Assert.Equal($"{step} / 40", view.Find("#job-step").TextContent), Guard);
        }
        Assert.Equal("0.5000", view.Find("#job-loss").TextContent);
    }

    [Fact]
    public async Task Render_JobEnds_LoadsThePageAfresh()
    {
        var (owner, jobId) = await RunningJobAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner.UserId);
        var navigation = circuit.Services.GetRequiredService<BunitNavigationManager>();
        var view = circuit.Render<JobLiveView>(p => p.Add(v => v.JobId, jobId).Add(v => v.TenantId, owner.TenantId));
        view.WaitForAssertion(() => view.Find("#job-step"), Guard);

        await JobTestKit.ExecuteAsync(portal, $"""
            UPDATE jobs SET state = 'Failed', finished_at = now(), error = 'out of memory' WHERE id = '{jobId}';
            SELECT pg_notify('platform_job_events', '{jobId}')
            """);

        view.WaitForAssertion(() => Assert.Contains("out of memory", view.Find("#job-error").TextContent), Guard);
        // The page around the panel (its cancel button) goes with the end: one forced reload of the same page.
        view.WaitForAssertion(() => Assert.Single(navigation.History, e => e.Options.ForceLoad), Guard);
    }

    [Fact]
    public async Task Render_UserNotAMemberOfTheTenant_ShowsNothing()
    {
        var (owner, jobId) = await RunningJobAsync();
        var stranger = await portal.CreateUserAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, stranger.Id);

        var view = circuit.Render<JobLiveView>(p => p.Add(v => v.JobId, jobId).Add(v => v.TenantId, owner.TenantId));

        view.WaitForAssertion(() => view.Find("#job-live-missing"), Guard);
        Assert.Empty(view.FindAll("#job-step"));
    }
}
