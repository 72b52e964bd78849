using System.Text;
using Platform.Data;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;

namespace Platform.Web.Hosting;

/// <summary>
/// `--seed-demo`: a ready text dataset for the demo organisation, built from the Debian fortunes the
/// setup installs (five topics, every quote of each), so a new user's first job is one click.
/// Skipped with a note when the fortunes are not installed.
/// </summary>
internal static class DemoDataset
{
    public const string Name = "fortunes-sample";

    /// <summary>Topics with their own vocabulary, about 150 quotes each: a model can learn them from scratch.</summary>
    private static readonly string[] Topics = ["computers", "food", "love", "sports", "startrek"];

    private const int PerTopic = 150;

    public static async Task EnsureAsync(IServiceProvider sp, Guid tenantId, Guid ownerId, string fortunesDirectory,
        CancellationToken cancellationToken)
    {
        sp.GetRequiredService<CurrentTenant>().Set(tenantId, ownerId);
        var existing = await sp.GetRequiredService<ListDatasetsQuery>().ExecuteAsync(cancellationToken);
        if (existing.Any(d => d.Name == Name))
            return;
        var csv = BuildCsv(fortunesDirectory);
        if (csv is null)
        {
            Console.WriteLine($"Demo dataset skipped: no fortunes under {fortunesDirectory} (apt package 'fortunes').");
            return;
        }

        await using var content = new MemoryStream(Encoding.UTF8.GetBytes(csv));
        var created = await sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest(Name, DatasetKind.Text, content, "text", "label"), cancellationToken);
        if (!created.IsSuccess)
            throw new InvalidOperationException($"Could not create the demo dataset: {created.Error}");
        Console.WriteLine($"Demo dataset ready: {Name} ({created.Value.RowCount} quotes in {created.Value.LabelCounts.Count} topics).");
    }

    /// <summary>text,label rows: the first quotes of each topic file, whitespace folded, RFC 4180 quoting.</summary>
    public static string? BuildCsv(string fortunesDirectory)
    {
        var csv = new StringBuilder("text,label\n");
        foreach (var topic in Topics)
        {
            var path = Path.Combine(fortunesDirectory, topic);
            if (!File.Exists(path))
                return null;
            var quotes = File.ReadAllText(path).Split("\n%\n")
                .Select(q => string.Join(' ', q.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))
                .Where(q => q.Length > 0)
                .Take(PerTopic);
            foreach (var quote in quotes)
                csv.Append('"').Append(quote.Replace("\"", "\"\"")).Append("\",").Append(topic).Append('\n');
        }

        return csv.ToString();
    }
}
