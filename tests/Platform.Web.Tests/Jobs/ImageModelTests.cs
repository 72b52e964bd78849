using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

public sealed class ImageModelTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task LaunchForm_ImageDataset_OffersOnlyImagePresetsWithPixelEstimate()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadAsync(owner.Client, "pets.zip", TestFiles.GoodImageZip(), "pets");

        var page = await owner.Client.GetAsync("/jobs/new");

        var models = page.Document.QuerySelectorAll("#base-model option").Select(o => o.GetAttribute("value")).Order().ToList();
        // The image presets (the MLP included), not the text models nor the tabular MLP.
        Assert.Equal(["cnn-28-grey", "cnn-32-rgb", "mlp-28-grey", "resnet-small"], models);
        Assert.False(page.Has("#max-length"));
        Assert.True(page.Has("#estimate-steps"));
    }

    [Fact]
    public async Task Playground_ImageModel_ClassifiesUploadedPng()
    {
        var (owner, jobId) = await SucceededImageJobAsync();
        var page = await owner.Client.GetAsync($"/models/{jobId}");
        Assert.True(page.Has("#playground-image[data-preview=playground-image-preview]"));
        Assert.True(page.Has("img#playground-image-preview[hidden]"));
        var form = (AngleSharp.Html.Dom.IHtmlFormElement)page.Document.QuerySelector("#playground-form")!;
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in PortalClient.FormValues(form))
            content.Add(new StringContent(value), name);
        var image = new ByteArrayContent(TestFiles.Png(28, 28, 30));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        content.Add(image, "image", "cat.png");

        var result = await owner.Client.PostAsync($"/models/{jobId}/predict", content);

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Contains(result.Text("#predicted-label"), JobTestKit.ImageLabels);
        Assert.Equal(2, result.Document.QuerySelectorAll(".score-bar").Length);
        // The image classified is shown with its label, as it was sent.
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(TestFiles.Png(28, 28, 30)),
            result.Document.QuerySelector("#prediction-preview")!.GetAttribute("src"));
    }

    [Fact]
    public async Task Api_PredictImage_ReturnsLabel_AndTextIsRefused()
    {
        var (owner, jobId) = await SucceededImageJobAsync();
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("images"));
        using var http = portal.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);
        using var content = new MultipartFormDataContent { { new ByteArrayContent(TestFiles.Png(28, 28, 220)), "image", "dog.png" } };

        using var predicted = await http.PostAsync($"/api/v1/models/{jobId}/predict", content);
        using var text = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { text = "a dog" });
        using var notImage = new MultipartFormDataContent { { new ByteArrayContent("not a picture"u8.ToArray()), "image", "x.png" } };
        using var broken = await http.PostAsync($"/api/v1/models/{jobId}/predict", notImage);

        Assert.Equal(HttpStatusCode.OK, predicted.StatusCode);
        var prediction = await predicted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(prediction.GetProperty("label").GetString(), JobTestKit.ImageLabels);
        Assert.Equal(HttpStatusCode.BadRequest, text.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("could not be read", (await broken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    private async Task<(Owner Owner, Guid JobId)> SucceededImageJobAsync()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadAsync(owner.Client, "pets.zip", TestFiles.GoodImageZip(), "pets");
        var jobId = await JobTestKit.LaunchAsync(portal, owner, datasetId, "cnn-28-grey");
        await JobTestKit.SucceedCnnAsync(portal, jobId);
        return (owner, jobId);
    }
}
