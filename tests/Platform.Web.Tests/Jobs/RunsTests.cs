using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Jobs.Catalog;
using Platform.Jobs.Launch;
using Platform.Jobs.Portal;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>Runs as a user tells them apart, compares them and launches them again.</summary>
public sealed class RunsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public void Short_IdsOfTheSameMillisecond_Differ()
    {
        // UUIDv7 ids made at one instant share their first 12 hex digits: the old "first 8" short id was equal.
        var at = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.CreateVersion7(at)).ToList();

        Assert.Single(ids.Select(id => id.ToString()[..8]).Distinct());
        Assert.Equal(ids.Count, ids.Select(JobIds.Short).Distinct().Count());
        Assert.All(ids, id => Assert.EndsWith(JobIds.Short(id), id.ToString("N")));
    }

    [Fact]
    public async Task Launch_WithoutName_NamedForBaseModelPresetDatasetAndTime()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client, "support");
        var before = DateTimeOffset.UtcNow;

        var jobId = await JobTestKit.LaunchAsync(portal, owner, datasetId);
        var name = await portal.Database.ScalarAsync<string>($"SELECT name FROM jobs WHERE id = '{jobId}'");
        var page = await owner.Client.GetAsync($"/jobs/{jobId}");

        Assert.StartsWith($"{DemoBaseModels.BertName} · fast · support v1 · ", name);
        var stamp = DateTime.ParseExact(name[^19..], "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stamp, before.UtcDateTime.AddSeconds(-1), DateTime.UtcNow.AddSeconds(1));
        Assert.Contains($"job {JobIds.Short(jobId)}", page.Html);
    }

    [Fact]
    public async Task Clone_JobPageLink_FillsTheLaunchFormWithTheJobsSettings()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        var launched = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<LaunchJobCommand>()
            .ExecuteAsync(new LaunchJobRequest(datasetId, DemoBaseModels.BertName, "best", Epochs: 3, BatchSize: 4, LearningRate: 0.0003, MaxSequenceLength: 64)));
        Assert.True(launched.IsSuccess, launched.ToString());

        var page = await owner.Client.GetAsync($"/jobs/{launched.Value}");
        var clone = page.Document.QuerySelector("#clone-job")!.GetAttribute("href")!;
        var form = await owner.Client.GetAsync(clone);

        Assert.Equal(HttpStatusCode.OK, form.Status);
        Assert.Equal(datasetId.ToString(), form.Document.QuerySelector("#dataset option[selected]")!.GetAttribute("value"));
        Assert.Equal(DemoBaseModels.BertName, form.Document.QuerySelector("#base-model option[selected]")!.GetAttribute("value"));
        Assert.True(form.Has("#preset-best[checked]"), "the job's preset is chosen");
        Assert.Equal("3", form.Document.QuerySelector("#epochs")!.GetAttribute("value"));
        Assert.Equal("4", form.Document.QuerySelector("#batch-size")!.GetAttribute("value"));
        Assert.Equal("0.0003", form.Document.QuerySelector("#learning-rate")!.GetAttribute("value"));
        Assert.Equal("64", form.Document.QuerySelector("#max-length")!.GetAttribute("value"));
        Assert.True(string.IsNullOrEmpty(form.Document.QuerySelector("#job-name")!.GetAttribute("value")), "the clone gets its own name");
    }

    [Fact]
    public async Task Compare_TwoRunsAndAStrangersJob_ShowsTheDiffCurvesAndClassesOfTheTenantsRuns()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        var first = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<LaunchJobCommand>()
            .ExecuteAsync(new LaunchJobRequest(datasetId, DemoBaseModels.BertName, "fast", Epochs: 2)));
        var second = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<LaunchJobCommand>()
            .ExecuteAsync(new LaunchJobRequest(datasetId, DemoBaseModels.BertName, "fast", Epochs: 4)));
        await JobTestKit.SucceedAsync(portal, first.Value);
        await JobTestKit.SucceedAsync(portal, second.Value);
        await JobTestKit.AddLossPointsAsync(portal, first.Value, 10, (5L, 1.0), (10L, 0.5));
        await JobTestKit.AddLossPointsAsync(portal, second.Value, 20, (10L, 0.9), (20L, 0.3));
        var stranger = await JobTestKit.OwnerAsync(portal);
        var strangers = await JobTestKit.LaunchAsync(portal, stranger, await JobTestKit.UploadCsvAsync(stranger.Client));

        var jobPage = await owner.Client.GetAsync($"/jobs/{first.Value}");
        var page = await owner.Client.GetAsync($"/jobs/compare?id={first.Value}&id={second.Value}&id={strangers}");

        Assert.Equal($"/jobs/compare?id={first.Value}", jobPage.Document.QuerySelector("#compare-job")!.GetAttribute("href"));
        Assert.Equal(HttpStatusCode.OK, page.Status);
        // The page's own address (echoed in links) names it; no row, column or link to the job does.
        Assert.False(page.Has($"#pick-{strangers}"));
        Assert.False(page.Has($"a[href='/jobs/{strangers}']"));
        Assert.Equal("true", page.Document.QuerySelector("tr[data-setting='Epochs']")!.GetAttribute("data-differs"));
        Assert.Equal("false", page.Document.QuerySelector("tr[data-setting='Base model']")!.GetAttribute("data-differs"));
        Assert.Equal(["2", "4"], page.Document.QuerySelectorAll("tr[data-setting='Epochs'] td").Select(td => td.TextContent.Trim()));
        var loss = page.Document.QuerySelectorAll("#compare-loss g.series").Select(g => g.GetAttribute("data-series")).ToList();
        Assert.Equal([JobIds.Short(first.Value), JobIds.Short(second.Value)], loss);
        // Both loss curves end at their last epoch, so runs of different lengths share the epoch axis.
        Assert.Equal(2, page.Document.QuerySelectorAll("#compare-accuracy g.series").Length);
        Assert.Equal(JobTestKit.Labels.Order(), page.Document.QuerySelectorAll("#compare-classes tr[data-class]").Select(r => r.GetAttribute("data-class")!).Order());
        Assert.Equal(2, page.Document.QuerySelectorAll("#compare-classes tr[data-class='spam'] td").Length);
    }

    [Fact]
    public async Task Compare_FiveRuns_AsksForAtMostFour()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var ids = string.Join('&', Enumerable.Range(0, 5).Select(_ => $"id={Guid.NewGuid()}"));

        var page = await owner.Client.GetAsync($"/jobs/compare?{ids}");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("at most 4", page.Text("#compare-error"));
        Assert.False(page.Has("#compare-settings"));
    }

    [Fact]
    public async Task Dashboard_NewTenantThenASucceededJob_ChecklistAndListsFollowRealState()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var empty = await owner.Client.GetAsync("/");
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, datasetId);
        var queued = await owner.Client.GetAsync("/");
        await JobTestKit.SucceedAsync(portal, jobId);

        var done = await owner.Client.GetAsync("/");

        Assert.False(empty.Has("li[data-step='dataset'].done"));
        Assert.False(empty.Has("li[data-step='fine-tune'].done"));
        Assert.True(queued.Has("li[data-step='dataset'].done"));
        Assert.True(queued.Has("li[data-step='fine-tune'].pending"));
        Assert.True(done.Has("li[data-step='fine-tune'].done"));
        Assert.True(done.Has("li[data-step='try'].done"));
        Assert.True(done.Has($"#recent-jobs li[data-job='{jobId}'] .job-state[data-state='Succeeded']"));
        Assert.Contains("macro-F1", done.Text($"#recent-jobs li[data-job='{jobId}']"));
        Assert.True(done.Has($"#recent-models li[data-model='{jobId}']"));
        Assert.Equal("1", done.Text("#stat-models .stat-value"));
        Assert.True(done.Has("#dashboard-usage"));
    }
}
