using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Jobs.Catalog;
using Platform.Jobs.Portal;
using Platform.Web.Components.Pages.Models;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;
using static Platform.Web.Tests.Infrastructure.Circuit;

namespace Platform.Web.Tests.Models;

/// <summary>
/// The models grid on a circuit over the real database: only succeeded training jobs whose model is
/// still there, sorted by score and searched in PostgreSQL (JobGridQuery with ModelsOnly).
/// </summary>
public sealed class ModelGridTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<(Owner Owner, Guid Good, Guid Better, Guid Queued, Guid Deleted)> JobsAsync()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var dataset = await JobTestKit.UploadCsvAsync(owner.Client);
        var good = await JobTestKit.LaunchAsync(portal, owner, dataset);
        var better = await JobTestKit.LaunchAsync(portal, owner, dataset);
        var queued = await JobTestKit.LaunchAsync(portal, owner, dataset);
        var deleted = await JobTestKit.LaunchAsync(portal, owner, dataset);
        await JobTestKit.ExecuteAsync(portal, $$"""
            DELETE FROM job_queue WHERE job_id IN ('{{good}}', '{{better}}', '{{deleted}}');
            UPDATE jobs SET name = 'good spam filter', state = 'Succeeded', started_at = now() - interval '1 minute', finished_at = now(),
                result = '{"modelFolder": "m", "accuracy": 0.8, "macroF1": 0.75}' WHERE id = '{{good}}';
            UPDATE jobs SET name = 'better spam filter', state = 'Succeeded', started_at = now() - interval '1 minute', finished_at = now(),
                result = '{"modelFolder": "m", "accuracy": 0.95, "macroF1": 0.9}' WHERE id = '{{better}}';
            UPDATE jobs SET name = 'forgotten spam filter', state = 'Succeeded', started_at = now() - interval '1 minute', finished_at = now(),
                result = '{"accuracy": 0.99, "macroF1": 0.99, "modelDeletedAt": "2026-01-01T00:00:00Z"}' WHERE id = '{{deleted}}';
            """);
        return (owner, good, better, queued, deleted);
    }

    private static string[] Names(IRenderedComponent<ModelGrid> grid) =>
        grid.FindAll("#model-table tbody .model-name").Select(a => a.TextContent).ToArray();

    [Fact]
    public async Task Render_ListsModelsOnlyWithScoresAndLinks()
    {
        var (owner, good, _, _, _) = await JobsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.UserId, [typeof(JobGridQuery), typeof(Platform.Jobs.Models.DeleteModelCommand)]);

        var grid = circuit.Render<ModelGrid>(p => p.Add(g => g.TenantId, owner.TenantId));

        // Neither the queued job nor the one whose model was deleted is a model.
        await EventuallyAsync(() => Assert.Equal(["better spam filter", "good spam filter"], Names(grid).Order()));
        var link = grid.Find($".model-name[data-model='{good}']");
        Assert.Equal($"/models/{good}", link.GetAttribute("href"));
        var row = link.Closest("tr")!;
        Assert.Equal("0.750", row.QuerySelector(".model-macro-f1")!.TextContent);
        Assert.Equal("0.800", row.QuerySelector(".model-accuracy")!.TextContent);
        Assert.Contains(DemoBaseModels.BertName, row.TextContent);
    }

    [Fact]
    public async Task Search_FiltersInTheDatabase()
    {
        var (owner, _, _, _, _) = await JobsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.UserId, [typeof(JobGridQuery), typeof(Platform.Jobs.Models.DeleteModelCommand)]);
        var grid = circuit.Render<ModelGrid>(p => p.Add(g => g.TenantId, owner.TenantId));
        await EventuallyAsync(() => Assert.Equal(2, Names(grid).Length));

        grid.Find("#model-search").Input("BETTER");
        await EventuallyAsync(() => Assert.Equal(["better spam filter"], Names(grid)));

        grid.Find("#model-search").Input("forgotten");
        await EventuallyAsync(() => Assert.Equal("No models match this search.", grid.Find("#model-grid-empty").TextContent.Trim()));
    }

    [Fact]
    public async Task Query_ModelsOnly_SortsByScoreWithinTheTenant()
    {
        var (owner, good, better, _, _) = await JobsAsync();
        await JobsAsync();

        var byScore = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<JobGridQuery>()
            .ListAsync(new JobGridRequest(SortBy: "MacroF1", Descending: true, ModelsOnly: true)));
        var byAccuracy = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<JobGridQuery>()
            .ListAsync(new JobGridRequest(SortBy: "Accuracy", Descending: false, ModelsOnly: true)));

        Assert.Equal([better, good], byScore.Items.Select(j => j.Id));
        Assert.Equal(2, byScore.Total);
        Assert.Equal([good, better], byAccuracy.Items.Select(j => j.Id));
    }
}
