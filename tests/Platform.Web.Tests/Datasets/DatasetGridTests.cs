using System.Text.Json;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;
using Platform.Jobs.Portal;
using Platform.Web.Components.Pages.Datasets;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;
using static Platform.Web.Tests.Infrastructure.Circuit;

namespace Platform.Web.Tests.Datasets;

/// <summary>
/// The datasets grid on a circuit (bunit, interactive) over the real database: kind filter, name search
/// and sort run in PostgreSQL (DatasetGridQuery); Delete asks first and says what happened.
/// </summary>
public sealed class DatasetGridTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<(Owner Owner, Guid Alpha, Guid Beta, Guid Images)> ThreeDatasetsAsync()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var alpha = await JobTestKit.UploadCsvAsync(owner.Client, "alpha tickets");
        var beta = await JobTestKit.UploadCsvAsync(owner.Client, "beta_tickets");
        var images = await JobTestKit.UploadAsync(owner.Client, "pets.zip", TestFiles.GoodImageZip(), "pets");
        return (owner, alpha, beta, images);
    }

    private BunitContext Circuit(AsyncServiceScope scope, Owner owner) =>
        Start(scope.ServiceProvider, owner.UserId, [typeof(DatasetGridQuery), typeof(DeleteDatasetCommand)]);

    private static string[] Names(IRenderedComponent<DatasetGrid> grid) =>
        grid.FindAll("#dataset-table tbody .dataset-name").Select(a => a.TextContent).ToArray();

    [Fact]
    public async Task Render_ShowsEveryColumnAndLinksEachDataset()
    {
        var (owner, alpha, _, images) = await ThreeDatasetsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner);

        var grid = circuit.Render<DatasetGrid>(p => p.Add(g => g.TenantId, owner.TenantId));

        await EventuallyAsync(() => Assert.Equal(["pets", "beta_tickets", "alpha tickets"], Names(grid)));
        var row = grid.Find($".dataset-name[data-dataset='{alpha}']").Closest("tr")!;
        Assert.Equal($"/datasets/{alpha}", grid.Find($".dataset-name[data-dataset='{alpha}']").GetAttribute("href"));
        Assert.Contains("v1", row.TextContent);
        Assert.Contains("Text", row.TextContent);
        Assert.Contains("Images", grid.Find($".dataset-name[data-dataset='{images}']").Closest("tr")!.TextContent);
    }

    [Fact]
    public async Task Render_FirstPageKeptByThePrerender_RowsStayFromTheFirstRenderUntilTheLiveGridHasItsOwn()
    {
        var (owner, _, _, _) = await ThreeDatasetsAsync();
        JsonElement kept;
        await using (var scope = portal.Services.CreateAsyncScope())
        await using (var prerender = Start(scope.ServiceProvider, owner.UserId, [typeof(DatasetGridQuery), typeof(DeleteDatasetCommand)], out var state))
        {
            prerender.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
            var prerendered = prerender.Render<DatasetGrid>(p => p.Add(g => g.TenantId, owner.TenantId));
            await EventuallyAsync(() => Assert.Equal(3, Names(prerendered).Length));
            state.TriggerOnPersisting();
            Assert.True(state.TryTake("dataset-grid-page", out kept));
        }
        await using var circuitScope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(circuitScope.ServiceProvider, owner.UserId, [typeof(DatasetGridQuery), typeof(DeleteDatasetCommand)],
            out var circuitState);
        circuitState.Persist("dataset-grid-page", kept);
        var shown = new System.Collections.Concurrent.ConcurrentQueue<int>();

        var grid = circuit.Render<DatasetGrid>(p => p.Add(g => g.TenantId, owner.TenantId));
        grid.OnMarkupUpdated += (_, _) => shown.Enqueue(Names(grid).Length);

        // The first render, before the circuit has read anything, already has the rows.
        Assert.Equal(["pets", "beta_tickets", "alpha tickets"], Names(grid));
        // The live grid (its pager) takes over once it has its first page; no render in between had no rows.
        await EventuallyAsync(() => Assert.Empty(grid.FindAll("[hidden]")));
        Assert.NotEmpty(grid.FindAll("#dataset-table .mud-table-pagination"));
        Assert.Equal(["pets", "beta_tickets", "alpha tickets"], Names(grid));
        Assert.DoesNotContain(0, shown);
    }

    [Fact]
    public async Task KindChipAndSearch_FilterInTheDatabase()
    {
        var (owner, _, _, _) = await ThreeDatasetsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner);
        var grid = circuit.Render<DatasetGrid>(p => p.Add(g => g.TenantId, owner.TenantId));
        await EventuallyAsync(() => Assert.Equal(3, Names(grid).Length));

        await grid.Find(".dataset-filters [data-kind=Image]").ClickAsync(new());
        await EventuallyAsync(() => Assert.Equal(["pets"], Names(grid)));

        await grid.Find(".dataset-filters [data-kind=Tabular]").ClickAsync(new());
        await EventuallyAsync(() => Assert.Equal("No datasets match these filters.", grid.Find("#dataset-grid-empty").TextContent.Trim()));

        await grid.Find(".dataset-filters [data-kind='']").ClickAsync(new());
        grid.Find("#dataset-search").Input("ALPHA");
        await EventuallyAsync(() => Assert.Equal(["alpha tickets"], Names(grid)));
    }

    [Fact]
    public async Task Delete_AskedThenConfirmed_DeletesAndSaysSo()
    {
        var (owner, alpha, _, _) = await ThreeDatasetsAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit(scope, owner);
        var grid = circuit.Render<DatasetGrid>(p => p.Add(g => g.TenantId, owner.TenantId));
        await EventuallyAsync(() => grid.Find($".dataset-delete[data-dataset='{alpha}']"));

        // Keep it: nothing happens.
        var asking = await ClickAsync(grid, () => grid.Find($".dataset-delete[data-dataset='{alpha}']"));
        await AnswerAsync(circuit, grid, asking, "Keep it", question: "Delete alpha tickets v1?");
        Assert.Equal(1L, await CountAsync(alpha));

        var deleting = await ClickAsync(grid, () => grid.Find($".dataset-delete[data-dataset='{alpha}']"));
        await AnswerAsync(circuit, grid, deleting, "Delete dataset", question: "Delete alpha tickets v1?");

        Assert.Equal(0L, await CountAsync(alpha));
        await EventuallyAsync(() => Assert.Contains("alpha tickets v1 is deleted.", grid.Markup));
        await EventuallyAsync(() => Assert.Equal(["pets", "beta_tickets"], Names(grid)));
    }

    [Fact]
    public async Task Query_PagesSortsAndReadsOneTenantOnly()
    {
        var (owner, alpha, beta, images) = await ThreeDatasetsAsync();
        var (other, _, _, _) = await ThreeDatasetsAsync();

        var byName = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<DatasetGridQuery>()
            .ListAsync(new DatasetGridRequest(Page: 1, PageSize: 1, SortBy: "Name", Descending: false)));
        var bySize = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<DatasetGridQuery>()
            .ListAsync(new DatasetGridRequest(SortBy: "SizeBytes", Descending: false)));
        // "_" is a plain character in a search, not LIKE's wildcard: "beta_" finds beta_tickets only.
        var underscore = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<DatasetGridQuery>()
            .ListAsync(new DatasetGridRequest(Search: "a_t")));
        var text = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<DatasetGridQuery>()
            .ListAsync(new DatasetGridRequest(Kind: DatasetKind.Text, SortBy: "CreatedAt", Descending: false)));
        var pastTheEnd = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<DatasetGridQuery>()
            .ListAsync(new DatasetGridRequest(Page: 5, PageSize: 10)));

        Assert.Equal(3, byName.Total);
        Assert.Equal([beta], byName.Items.Select(d => d.Id));
        Assert.Equal(bySize.Items.Select(d => d.SizeBytes).Order(), bySize.Items.Select(d => d.SizeBytes));
        Assert.Equal([beta], underscore.Items.Select(d => d.Id));
        Assert.Equal([alpha, beta], text.Items.Select(d => d.Id));
        Assert.Equal(3, text.Items[0].ClassCount);
        Assert.Equal((0, 3), (pastTheEnd.Items.Count, pastTheEnd.Total));
        var others = await JobTestKit.AsTenantAsync(portal, other, sp => sp.GetRequiredService<DatasetGridQuery>().ListAsync(new DatasetGridRequest()));
        Assert.DoesNotContain(others.Items, d => d.Id == alpha || d.Id == beta || d.Id == images);
        Assert.Equal(3, others.Total);
    }

    private async Task<long> CountAsync(Guid datasetId) =>
        await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM datasets WHERE id = '{datasetId}'");
}
