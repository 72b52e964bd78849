using System.Globalization;
using Platform.Web.Components.Shared;

namespace Platform.Web.Tests.Components;

public sealed class BarChartTests
{
    [Fact]
    public async Task Render_TwoClasses_DrawsBarsProportionalToCounts()
    {
        var document = await RenderAsync([new("spam", 30), new("ham", 15)]);

        var bars = document.QuerySelectorAll("svg.bar-chart g.bar");
        Assert.Equal(["spam", "ham"], bars.Select(b => b.GetAttribute("data-label")));
        Assert.Equal(["30", "15"], bars.Select(b => b.GetAttribute("data-value")));
        var widths = bars.Select(b => double.Parse(b.QuerySelector("rect")!.GetAttribute("width")!, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(widths[0] > 0);
        Assert.Equal(widths[0] / 2, widths[1], precision: 2);
        Assert.Equal(["30", "15"], bars.Select(b => b.QuerySelector("text.bar-value")!.TextContent));
    }

    [Fact]
    public async Task Render_LabelWithMarkup_EscapesLabel()
    {
        var document = await RenderAsync([new("<script>alert(1)</script>", 3), new("b", 1)]);

        Assert.Empty(document.QuerySelectorAll("script"));
        Assert.Equal("<script>alert(1)</script>", document.QuerySelector("g.bar")!.GetAttribute("data-label"));
    }

    [Fact]
    public async Task Render_LongLabel_ShortensVisibleTextAndKeepsFullTitle()
    {
        var label = new string('x', 60);

        var document = await RenderAsync([new(label, 5)]);

        var bar = document.QuerySelector("g.bar")!;
        Assert.EndsWith("…", bar.QuerySelector("text.bar-label")!.TextContent);
        Assert.True(bar.QuerySelector("text.bar-label")!.TextContent.Length < label.Length);
        Assert.StartsWith(label, bar.QuerySelector("title")!.TextContent);
    }

    [Fact]
    public async Task Render_NoItems_ShowsEmptyTextInsteadOfSvg()
    {
        var document = await RenderAsync([]);

        Assert.Null(document.QuerySelector("svg"));
        Assert.Equal("Nothing to chart.", document.QuerySelector(".bar-chart-empty")!.TextContent);
    }

    [Fact]
    public async Task Render_AllZero_DrawsZeroWidthBars()
    {
        var document = await RenderAsync([new("a", 0), new("b", 0)]);

        Assert.All(document.QuerySelectorAll("rect"), r => Assert.Equal("0", r.GetAttribute("width")));
    }

    private static Task<AngleSharp.Html.Dom.IHtmlDocument> RenderAsync(BarChartItem[] items) =>
        ComponentRenderer.RenderAsync<BarChart>(new Dictionary<string, object?>
        {
            [nameof(BarChart.Items)] = items,
            [nameof(BarChart.Title)] = "Label distribution",
        });
}
