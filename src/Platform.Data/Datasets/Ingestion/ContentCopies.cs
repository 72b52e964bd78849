using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>What to do with a record whose content (a text, an image's bytes) came earlier in the upload.</summary>
internal enum CopyKind
{
    /// <summary>The first record with this content: kept.</summary>
    First,

    /// <summary>The same content under the same label: skipped, it would only count twice and could land on both sides of the split.</summary>
    Duplicate,

    /// <summary>The same content under another label: kept, since the ingester cannot tell which label is right, and reported.</summary>
    OtherLabel,
}

/// <summary>
/// The one rule text and image datasets follow for repeated content. A repeat under the same label is
/// a duplicate: it inflates the count and, shuffled on its own, leaks between training and validation.
/// A repeat under another label is label noise the user has to resolve: every copy is kept and named
/// in a warning, and <see cref="CopyOf"/> tells the split to keep the copies on one side.
/// </summary>
/// <param name="placeOf">Where a kept record is in the upload ("line 4", "cat/1.png"), for the warning.</param>
internal sealed class ContentCopies<TKey>(Func<int, string> placeOf) where TKey : notnull
{
    private readonly Dictionary<TKey, (int Record, string Label)> _first = [];
    // Only contents seen under two or more labels, so a million distinct texts cost one entry each in _first alone.
    private readonly Dictionary<TKey, HashSet<string>> _labels = [];
    private readonly Dictionary<int, int> _copyOf = [];
    private readonly List<string> _examples = [];

    /// <summary>Record index of a copy under another label to the index of the first record with its content.</summary>
    public IReadOnlyDictionary<int, int> CopyOf => _copyOf;

    /// <summary>Contents found under more than one label.</summary>
    public int Conflicts => _labels.Count;

    /// <param name="record">The index the record takes if it is kept.</param>
    /// <param name="place">Where it is in the upload.</param>
    public CopyKind Add(TKey key, string label, int record, string place)
    {
        if (!_first.TryGetValue(key, out var first))
        {
            _first[key] = (record, label);
            return CopyKind.First;
        }
        if (first.Label == label)
        {
            return CopyKind.Duplicate;
        }
        if (!_labels.TryGetValue(key, out var labels))
        {
            _labels[key] = labels = [first.Label];
            if (_examples.Count < WarningList.Shown)
            {
                _examples.Add($"{placeOf(first.Record)} = {place}");
            }
        }
        if (!labels.Add(label))
        {
            return CopyKind.Duplicate;
        }
        _copyOf[record] = first.Record;
        return CopyKind.OtherLabel;
    }

    /// <summary>
    /// E.g. "2 images appear under more than one label (same bytes): cat/a.png = dog/b.png, …"; null when none does.
    /// </summary>
    /// <param name="noun">What a record is ("text", "image").</param>
    /// <param name="sameness">What "the same" means, when it needs saying ("same bytes").</param>
    public string? Describe(string noun, string? sameness = null)
    {
        if (Conflicts == 0)
        {
            return null;
        }
        var subject = Conflicts == 1 ? $"1 {noun} appears" : $"{Conflicts:N0} {noun}s appear";
        return $"{subject} under more than one label{(sameness is null ? "" : $" ({sameness})")}: {WarningList.Of(_examples, Conflicts)}. " +
               "Every copy is kept, all on the same side of the train/validation split; check which label is right.";
    }
}
