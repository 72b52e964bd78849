using System.Net;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Layout;

/// <summary>The dark-mode toggle in the app bar: a form post that every later page renders in.</summary>
public sealed class ThemeTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Toggle_DarkThenLight_PagesRenderInTheChosenMode()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasets = await owner.Client.GetAsync("/datasets");
        Assert.Equal("light", datasets.Document.DocumentElement.GetAttribute("data-bs-theme"));
        Assert.Equal("Switch to dark mode", datasets.Document.QuerySelector("#theme-toggle")!.GetAttribute("aria-label"));

        var toggled = await owner.Client.SubmitAsync(datasets, "#theme-form");
        Assert.Equal(HttpStatusCode.Redirect, toggled.Status);
        Assert.Equal("/datasets", toggled.Location);
        var dark = await owner.Client.FollowAsync(toggled);
        Assert.Equal("dark", dark.Document.DocumentElement.GetAttribute("data-bs-theme"));
        Assert.Equal("Switch to light mode", dark.Document.QuerySelector("#theme-toggle")!.GetAttribute("aria-label"));
        // MudBlazor's palette follows: its CSS variables are the dark ones.
        Assert.Contains("--mud-palette-primary: rgba(129,140,248,1);", dark.Html);

        var light = await owner.Client.FollowAsync(await owner.Client.SubmitAsync(dark, "#theme-form"));
        Assert.Equal("light", light.Document.DocumentElement.GetAttribute("data-bs-theme"));
        Assert.Contains("--mud-palette-primary: rgba(79,70,229,1);", light.Html);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    public async Task Toggle_ReturnUrlOfAnotherSite_GoesHome(string returnUrl)
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var page = await owner.Client.GetAsync("/datasets");

        var toggled = await owner.Client.SubmitAsync(page, "#theme-form", new Dictionary<string, string> { ["returnUrl"] = returnUrl });

        Assert.Equal(HttpStatusCode.Redirect, toggled.Status);
        Assert.Equal("/", toggled.Location);
    }

    [Fact]
    public async Task Toggle_WithoutAntiforgeryToken_IsRefused()
    {
        var owner = await JobTestKit.OwnerAsync(portal);

        using var response = await owner.Client.Http.PostAsync("/preferences/theme",
            new FormUrlEncodedContent([new("dark", "true"), new("returnUrl", "/")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
