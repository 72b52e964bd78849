namespace Platform.Data.Datasets.Ingestion;

/// <summary>Rows skipped for one reason: a count and the first few line numbers, for the warning text.</summary>
internal sealed class SkippedRows(string reason)
{
    private const int LinesShown = 5;
    private readonly List<int> _firstLines = [];

    public int Count { get; private set; }

    public IReadOnlyList<int> FirstLines => _firstLines;

    public void Add(int line)
    {
        Count++;
        if (_firstLines.Count < LinesShown)
        {
            _firstLines.Add(line);
        }
    }

    /// <summary>E.g. "2 empty rows skipped (lines 4, 9)."; null when nothing was skipped.</summary>
    public string? Describe()
    {
        if (Count == 0)
        {
            return null;
        }
        var lines = string.Join(", ", _firstLines) + (Count > _firstLines.Count ? ", …" : "");
        return $"{Count} {reason}{(Count == 1 ? "" : "s")} skipped (line{(Count == 1 ? "" : "s")} {lines}).";
    }
}
