namespace Platform.Web.Components.Charts;

/// <summary>
/// One line of a <see cref="LineChart"/>: Css picks its colour (line-a, line-b, ...). Markers draws a dot
/// per point; dense series (a loss point per second of training) read better as a bare line.
/// </summary>
public sealed record ChartSeries(string Name, string Css, IReadOnlyList<ChartPoint> Points, bool Markers = true);

public sealed record ChartPoint(double X, double Y);
