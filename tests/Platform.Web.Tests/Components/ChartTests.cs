using Platform.Web.Components.Charts;

namespace Platform.Web.Tests.Components;

public sealed class ChartTests
{
    [Fact]
    public async Task LineChart_TwoSeries_DrawsOnePointPerValueInsideTheCanvas()
    {
        var document = await ComponentRenderer.RenderAsync<LineChart>(new Dictionary<string, object?>
        {
            [nameof(LineChart.Series)] = new List<ChartSeries>
            {
                new("Training", "line-a", [new(1, 1.2), new(2, 0.8), new(3, 0.5)]),
                new("Validation", "line-b", [new(1, 1.0), new(2, 0.9)]),
            },
        });

        var training = document.QuerySelectorAll("g.series[data-series=Training] circle");
        Assert.Equal(["1.2", "0.8", "0.5"], training.Select(c => c.GetAttribute("data-y")));
        Assert.Equal(2, document.QuerySelectorAll("g.series[data-series=Validation] circle").Length);
        var ys = training.Select(c => double.Parse(c.GetAttribute("cy")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        // SVG y grows downwards: a falling loss is drawn with growing y, and every point stays inside the 220-high canvas.
        Assert.True(ys[0] < ys[1] && ys[1] < ys[2]);
        Assert.All(ys, y => Assert.InRange(y, 0, 220));
    }

    [Fact]
    public async Task LineChart_FirstStepsOnly_AxisStartsAtZeroWithoutMinusZero()
    {
        // A job early in its first epoch: one loss point at 0.4 epochs.
        var document = await ComponentRenderer.RenderAsync<LineChart>(new Dictionary<string, object?>
        {
            [nameof(LineChart.Series)] = new List<ChartSeries> { new("Training", "line-a", [new(0.4, 0.7)]) },
        });

        var ticks = document.QuerySelectorAll("text.tick").Select(t => t.TextContent).ToList();
        Assert.DoesNotContain(ticks, t => t.StartsWith('-'));
        Assert.Contains("0", ticks);
    }

    [Theory]
    [InlineData(0.7, 0.7004, false)]
    [InlineData(0.69, 0.71, false)]
    [InlineData(0.995, 0.999, true)]
    public async Task LineChart_NarrowRange_YTicksAllDiffer(double low, double high, bool percent)
    {
        var document = await ComponentRenderer.RenderAsync<LineChart>(new Dictionary<string, object?>
        {
            [nameof(LineChart.Series)] = new List<ChartSeries> { new("Training", "line-a", [new(1, low), new(2, high)]) },
            [nameof(LineChart.Percent)] = percent,
        });

        var yTicks = document.QuerySelectorAll("text.tick[text-anchor=end]").Select(t => t.TextContent).ToList();
        Assert.Equal(5, yTicks.Count);
        Assert.Equal(yTicks.Count, yTicks.Distinct().Count());
    }

    [Fact]
    public async Task LineChart_NoPoints_ShowsEmptyText()
    {
        var document = await ComponentRenderer.RenderAsync<LineChart>(new Dictionary<string, object?>
        {
            [nameof(LineChart.Series)] = new List<ChartSeries> { new("Training", "line-a", []) },
            [nameof(LineChart.EmptyText)] = "Nothing yet",
        });

        Assert.Null(document.QuerySelector("svg"));
        Assert.Equal("Nothing yet", document.QuerySelector(".line-chart-empty")!.TextContent);
    }

    [Fact]
    public async Task ConfusionMatrix_Counts_OneCellPerPairShadedByRowShare()
    {
        var document = await ComponentRenderer.RenderAsync<ConfusionMatrix>(new Dictionary<string, object?>
        {
            [nameof(ConfusionMatrix.Labels)] = new[] { "cat", "dog" },
            [nameof(ConfusionMatrix.Matrix)] = new[] { new[] { 3, 1 }, new[] { 0, 4 } },
        });

        var cells = document.QuerySelectorAll("g.cell");
        Assert.Equal(4, cells.Length);
        var catAsDog = document.QuerySelector("g.cell[data-true=cat][data-predicted=dog]")!;
        Assert.Equal("1", catAsDog.GetAttribute("data-count"));
        Assert.Contains("off", catAsDog.ClassList);
        // 3 of the 4 cats: 0.08 + 0.92 * 0.75.
        Assert.Equal("0.77", document.QuerySelector("g.cell[data-true=cat][data-predicted=cat] rect")!.GetAttribute("fill-opacity"));
        Assert.Contains("zero", document.QuerySelector("g.cell[data-true=dog][data-predicted=cat]")!.ClassList);
    }
    [Fact]
    public async Task ConfusionMatrix_ManyClasses_DrawsTheMostMistakenOnlyAndSaysSo()
    {
        // 200 classes, all right except class 150 taken for 7 and class 3 for 199.
        const int classes = 200;
        var labels = Enumerable.Range(0, classes).Select(i => $"c{i}").ToArray();
        var matrix = Enumerable.Range(0, classes).Select(t => Enumerable.Range(0, classes).Select(p => t == p ? 5 : 0).ToArray()).ToArray();
        matrix[150][7] = 2;
        matrix[3][199] = 1;

        var document = await ComponentRenderer.RenderAsync<ConfusionMatrix>(new Dictionary<string, object?>
        {
            [nameof(ConfusionMatrix.Labels)] = labels,
            [nameof(ConfusionMatrix.Matrix)] = matrix,
            [nameof(ConfusionMatrix.MaxClasses)] = 4,
        });

        Assert.Equal(16, document.QuerySelectorAll("g.cell").Length);
        Assert.Equal(["c3", "c7", "c150", "c199"], document.QuerySelectorAll("g.cell[data-predicted=c3]").Select(c => c.GetAttribute("data-true")));
        Assert.Equal("2", document.QuerySelector("g.cell[data-true=c150][data-predicted=c7]")!.GetAttribute("data-count"));
        Assert.Contains("4 of 200 classes", document.QuerySelector("#confusion-subset")!.TextContent);
    }
}
