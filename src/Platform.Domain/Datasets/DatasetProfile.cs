using System.Globalization;
using Platform.Domain.Common;

namespace Platform.Domain.Datasets;

/// <summary>What the dataset page shows about the accepted records: counts, distribution, warnings.</summary>
public sealed record DatasetProfile(
    int RowCount,
    IReadOnlyDictionary<string, int> LabelCounts,
    DatasetStats Stats,
    IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// Profiles the labels of the accepted records (in order) and rejects sets a classifier cannot
    /// learn from. Warnings found earlier (skipped rows) come first.
    /// </summary>
    public static Result<DatasetProfile> Build(
        IReadOnlyList<string> labels, DatasetStats stats, IEnumerable<string> ingestWarnings, DatasetRules rules)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var label in labels)
        {
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }
        if (counts.Count < rules.MinClasses)
        {
            var found = counts.Count == 0 ? "none" : string.Join(", ", counts.Keys.Select(k => $"'{k}'"));
            return Result<DatasetProfile>.BadRequest(
                $"A classifier needs at least {rules.MinClasses} classes; this upload has {counts.Count} ({found}).");
        }
        var small = counts.Where(c => c.Value < rules.MinPerClass).ToList();
        if (small.Count > 0)
        {
            return Result<DatasetProfile>.BadRequest(
                $"Every class needs at least {rules.MinPerClass} examples; too few in {WarningList.Of(small.Select(Describe), small.Count)}.");
        }
        var warnings = ingestWarnings.ToList();
        int largest = counts.Values.Max(), smallest = counts.Values.Min();
        if (largest > rules.ImbalanceRatio * smallest)
        {
            var ratio = ((double)largest / smallest).ToString("0.#", CultureInfo.InvariantCulture);
            warnings.Add($"Classes are imbalanced: the largest class has {ratio}x the examples of the smallest.");
        }
        // Smallest first: the classes most in need of examples are the ones named.
        var tiny = counts.Where(c => c.Value < rules.TinyClassBelow).OrderBy(c => c.Value).ToList();
        if (tiny.Count == 1)
        {
            warnings.Add($"Class '{WarningList.Name(tiny[0].Key)}' has only {tiny[0].Value} examples; fewer than {rules.TinyClassBelow} rarely train well.");
        }
        else if (tiny.Count > 1)
        {
            warnings.Add($"{tiny.Count:N0} classes have fewer than {rules.TinyClassBelow} examples, which rarely train well: " +
                $"{WarningList.Of(tiny.Select(Describe), tiny.Count)}.");
        }
        return Result<DatasetProfile>.Success(new DatasetProfile(labels.Count, new Dictionary<string, int>(counts), stats, warnings));
    }

    private static string Describe(KeyValuePair<string, int> count) => $"'{WarningList.Name(count.Key)}' ({count.Value})";

    /// <summary>Profiles an unlabelled corpus: documents and their lengths, no labels.</summary>
    public static Result<DatasetProfile> BuildCorpus(int documents, DatasetStats stats, IEnumerable<string> ingestWarnings, DatasetRules rules)
    {
        if (documents < rules.MinCorpusDocuments)
        {
            return Result<DatasetProfile>.BadRequest(
                $"Pre-training needs at least {rules.MinCorpusDocuments} documents; this upload has {documents}. A .txt file holds one document per line.");
        }
        return Result<DatasetProfile>.Success(new DatasetProfile(documents, new Dictionary<string, int>(), stats, ingestWarnings.ToList()));
    }
}
