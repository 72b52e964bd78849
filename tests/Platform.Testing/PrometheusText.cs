using System.Globalization;

namespace Platform.Testing;

/// <summary>Reads Prometheus' text exposition format as scraped: the sum of a metric's samples, optionally by label.</summary>
public static class PrometheusText
{
    /// <summary>
    /// The sum over every sample of <paramref name="metric"/> (exact name, e.g. <c>platform_jobs_claims_total</c>)
    /// whose labels contain each of <paramref name="labels"/> (<c>state="Queued"</c>); null when there is none.
    /// </summary>
    public static double? Sum(string text, string metric, params string[] labels)
    {
        double? sum = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length)
                continue;
            var next = line[metric.Length];
            if (next is not ('{' or ' '))
                continue;
            var labelEnd = next == '{' ? LabelEnd(line, metric.Length + 1) : metric.Length - 1;
            var labelText = next == '{' ? line[(metric.Length + 1)..labelEnd] : "";
            if (labels.Any(label => !labelText.Contains(label, StringComparison.Ordinal)))
                continue;
            var value = line[(labelEnd + 1)..].Trim().Split(' ')[0];
            sum = (sum ?? 0) + double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return sum;
    }

    // Label values are quoted and may hold braces (http_route="/models/{id}"): the label set ends at the
    // first '}' outside quotes.
    private static int LabelEnd(string line, int start)
    {
        var quoted = false;
        for (var i = start; i < line.Length; i++)
        {
            if (quoted && line[i] == '\\')
                i++;
            else if (line[i] == '"')
                quoted = !quoted;
            else if (!quoted && line[i] == '}')
                return i;
        }
        throw new FormatException($"No end of the label set in: {line}");
    }
}
