using System.IO.Compression;
using System.Net;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

public sealed class ModelPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task ModelPage_SucceededJob_ShowsMetricsPerClassAndConfusionMatrix()
    {
        var (owner, jobId) = await SucceededJobAsync();

        var page = await owner.Client.GetAsync($"/models/{jobId}");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("80%", page.Text("#model-accuracy .stat-value"));
        Assert.Equal(JobTestKit.Labels, page.Document.QuerySelectorAll("#per-class tbody tr").Select(r => r.GetAttribute("data-label")));
        // truth [spam, spam, ham, other, ham], predicted [spam, ham, ham, other, ham]
        var cell = page.Document.QuerySelector("#confusion g.cell[data-true=spam][data-predicted=ham]")!;
        Assert.Equal("1", cell.GetAttribute("data-count"));
        Assert.Equal("2", page.Document.QuerySelector("#confusion g.cell[data-true=ham][data-predicted=ham]")!.GetAttribute("data-count"));
        Assert.Equal(2, page.Document.QuerySelectorAll("#history tbody tr").Length);
    }

    [Fact]
    public async Task Playground_Text_ReturnsLabelAndScoreForEveryClass()
    {
        var (owner, jobId) = await SucceededJobAsync();
        var page = await owner.Client.GetAsync($"/models/{jobId}");

        var result = await owner.Client.SubmitAsync(page, "#playground-form", new Dictionary<string, string> { ["text"] = "win a prize now" });

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Contains(result.Text("#predicted-label"), JobTestKit.Labels);
        var scores = result.Document.QuerySelectorAll(".score-bar").ToDictionary(b => b.GetAttribute("data-label")!, b => double.Parse(b.GetAttribute("data-score")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(JobTestKit.Labels.Order(), scores.Keys.Order());
        Assert.InRange(scores.Values.Sum(), 0.99, 1.01);
        // Without htmx the whole model page comes back, the answer in place.
        Assert.True(result.Has("#confusion"));
    }

    [Fact]
    public async Task Playground_HtmxRequest_ReturnsOnlyTheResultFragment()
    {
        var (owner, jobId) = await SucceededJobAsync();
        var page = await owner.Client.GetAsync($"/models/{jobId}");
        var form = (AngleSharp.Html.Dom.IHtmlFormElement)page.Document.QuerySelector("#playground-form")!;
        var values = PortalClient.FormValues(form).Where(v => v.Key != "text").Append(new("text", "meeting at noon"));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/models/{jobId}/predict") { Content = new FormUrlEncodedContent(values) };
        request.Headers.Add("HX-Request", "true");

        var fragment = await Page.ReadAsync("", await owner.Client.Http.SendAsync(request));

        Assert.True(fragment.Has("#prediction #predicted-label"));
        Assert.False(fragment.Has("#confusion"));
    }

    [Fact]
    public async Task Download_SucceededJob_IsZipOfTheModelFolder()
    {
        var (owner, jobId) = await SucceededJobAsync();

        using var response = await owner.Client.Http.GetAsync($"/models/{jobId}/download");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("config.json", names);
        Assert.Contains("model.safetensors", names);
        Assert.Contains("metrics.json", names);
    }

    [Fact]
    public async Task ModelPage_QueuedJob_IsNotFound()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));

        var page = await owner.Client.GetAsync($"/models/{jobId}");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal("Page not found", page.Text("h1"));
    }

    private async Task<(Owner Owner, Guid JobId)> SucceededJobAsync()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, jobId);
        return (owner, jobId);
    }
}
