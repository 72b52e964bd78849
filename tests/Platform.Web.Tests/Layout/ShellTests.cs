using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Layout;

/// <summary>The shell around every signed-in page: MudBlazor's app bar and a drawer that a phone opens from a menu button.</summary>
public sealed class ShellTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Workspace_Page_HasAppBarAndResponsiveDrawerWithMenuButton()
    {
        var owner = await JobTestKit.OwnerAsync(portal);

        var page = await owner.Client.GetAsync("/datasets");

        var layout = page.Document.QuerySelector(".mud-layout")!;
        Assert.Contains("mud-drawer-open-responsive-md-left", layout.ClassName);
        var drawer = page.Document.QuerySelector("#shell-drawer")!;
        Assert.Contains("mud-drawer-responsive", drawer.ClassList);
        Assert.Contains("mud-drawer--open", drawer.ClassList);
        Assert.NotNull(drawer.QuerySelector("a[href='/datasets'][aria-current=page]"));
        Assert.Equal("false", page.Document.QuerySelector(".mud-appbar [data-drawer-toggle=shell-drawer]")!.GetAttribute("aria-expanded"));
        Assert.NotNull(page.Document.QuerySelector(".mud-appbar form[action='/account/sign-out'] #sign-out"));
        // The phone's drawer repeats the areas the app bar shows on wide screens.
        Assert.NotNull(drawer.QuerySelector(".shell-narrow a[href='/'][aria-current=true]"));
    }
}
