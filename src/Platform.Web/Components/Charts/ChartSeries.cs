namespace Platform.Web.Components.Charts;

/// <summary>One line of a <see cref="LineChart"/>: Css picks its colour (line-a, line-b, ...).</summary>
public sealed record ChartSeries(string Name, string Css, IReadOnlyList<ChartPoint> Points);

public sealed record ChartPoint(double X, double Y);
