namespace Platform.Web.Components.Shared;

public sealed record BarChartItem(string Label, double Value);
