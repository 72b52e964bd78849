using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

public sealed class LaunchJobTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task LaunchForm_TextDataset_OffersOnlyBertModelsWithEstimateAndQuota()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);

        var page = await owner.Client.GetAsync("/jobs/new");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        var models = page.Document.QuerySelectorAll("#base-model option").Select(o => o.GetAttribute("value")).ToList();
        Assert.Equal(["bert-mini-random"], models);
        // 13 rows, stratified 80/20: the estimate trains on the training split only.
        var samples = int.Parse(page.Text("#estimate-samples"));
        Assert.InRange(samples, 9, 10);
        Assert.NotEmpty(page.Text("#estimate-cuda .estimate-value"));
        Assert.NotEmpty(page.Text("#estimate-cpu .estimate-value"));
        Assert.Equal("0", page.Text("#quota-active"));
        Assert.Equal("10", page.Text("#quota-limit"));
        // The money line, on the plan a new organisation starts on (its amounts are TenantBillingTests').
        Assert.Contains("Cost on the Free plan", page.Text("#estimate-cost"));
    }

    [Fact]
    public async Task DatasetPage_TrainLink_OpensLaunchFormWithThatDatasetChosen()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var first = await JobTestKit.UploadCsvAsync(owner.Client, "first");
        await JobTestKit.UploadCsvAsync(owner.Client, "second");
        var dataset = await owner.Client.GetAsync($"/datasets/{first}");

        var form = await owner.Client.GetAsync(dataset.Document.QuerySelector("#train-model")!.GetAttribute("href")!);

        Assert.Equal(first.ToString(), form.Document.QuerySelector("#dataset option[selected]")?.GetAttribute("value"));
    }

    [Fact]
    public async Task Launch_ValidForm_RedirectsToQueuedJobPage()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);
        var form = await owner.Client.GetAsync("/jobs/new");

        var posted = await owner.Client.SubmitAsync(form, "#launch-form", new Dictionary<string, string> { ["Input.Name"] = "first try" });

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        var job = await owner.Client.FollowAsync(posted);
        Assert.Equal("first try", job.Text("h1"));
        Assert.Equal("Queued", job.Document.QuerySelector(".job-state")!.GetAttribute("data-state"));
        Assert.Contains(job.Document.QuerySelectorAll(".event"), e => e.GetAttribute("data-type") == "queued");
        Assert.True(job.Has("#cancel-job"));
    }

    [Fact]
    public async Task Launch_AtActiveJobCap_ShowsLimitMessageAndQueuesNothing()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        await JobTestKit.LaunchAsync(portal, owner, datasetId);
        await JobTestKit.ExecuteAsync(portal, $"UPDATE tenant_job_limits SET max_active = 1 WHERE tenant_id = '{owner.TenantId}'");
        var form = await owner.Client.GetAsync("/jobs/new");
        Assert.True(form.Has("#launch[disabled]"));

        var page = await owner.Client.SubmitAsync(form, "#launch-form");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("already has 1 active jobs, its limit", page.Text("#launch-error"));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{owner.TenantId}'"));
    }

    [Fact]
    public async Task Launch_SuspendedTenant_ShowsReason()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);
        var form = await owner.Client.GetAsync("/jobs/new");
        await portal.WithServicesAsync(sp =>
            sp.GetRequiredService<Platform.Data.Tenants.SuspendTenantCommand>().ExecuteAsync(owner.TenantId, "Card declined"));

        var page = await owner.Client.SubmitAsync(form, "#launch-form");

        Assert.Contains("suspended and cannot launch jobs: Card declined", page.Text("#launch-error"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{owner.TenantId}'"));
    }

    [Fact]
    public async Task Launch_CnnPresetForTextDataset_ShowsWrongModelMessage()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);
        var form = await owner.Client.GetAsync("/jobs/new");

        var page = await owner.Client.SubmitAsync(form, "#launch-form", new Dictionary<string, string> { ["Input.BaseModel"] = "cnn-28-grey" });

        Assert.Contains("choose a BERT base model", page.Text("#launch-error"));
    }

    [Fact]
    public async Task Launch_EpochsOutOfRange_ShowsRangeMessage()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);
        var form = await owner.Client.GetAsync("/jobs/new");

        var page = await owner.Client.SubmitAsync(form, "#launch-form", new Dictionary<string, string> { ["Input.Epochs"] = "500" });

        Assert.Contains("Epochs must be 1-100", page.Text("#launch-error"));
        Assert.Equal("500", page.Document.QuerySelector("#epochs")!.GetAttribute("value"));
    }

    [Fact]
    public async Task JobList_StateFilter_ShowsOnlyThatState()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        var queued = await JobTestKit.LaunchAsync(portal, owner, datasetId);
        var succeeded = await JobTestKit.LaunchAsync(portal, owner, datasetId);
        await JobTestKit.SucceedAsync(portal, succeeded);

        var all = await owner.Client.GetAsync("/jobs");
        var onlySucceeded = await owner.Client.GetAsync("/jobs?state=Succeeded");

        // The prerendered first page of the grid (the circuit takes over paging, sorting and search).
        Assert.Equal(2, all.Document.QuerySelectorAll("#job-table tbody .job-name").Length);
        Assert.Equal([succeeded.ToString()], onlySucceeded.Document.QuerySelectorAll("#job-table tbody .job-name").Select(r => r.GetAttribute("data-job")));
        Assert.DoesNotContain(queued.ToString(), onlySucceeded.Html);
    }
}
