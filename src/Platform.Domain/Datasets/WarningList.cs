using Platform.Domain.Common;

namespace Platform.Domain.Datasets;

/// <summary>
/// How a dataset warning names what it is about. One warning per kind of problem, never one per
/// class, column or file: a dataset of 1,000 small classes shows one line with the count and the
/// first few names, not 1,000 lines on its page and in the API.
/// </summary>
public static class WarningList
{
    /// <summary>Names shown before "… (and N more)".</summary>
    public const int Shown = 5;

    /// <summary>A name longer than this is cut: a warning names things, it does not quote them.</summary>
    public const int NameLength = 60;

    /// <summary>
    /// "a, b, c, d, e, … (and 307 more)": the first <see cref="Shown"/> of <paramref name="items"/>,
    /// where <paramref name="total"/> is how many there are in all (items may hold only the first few).
    /// </summary>
    public static string Of(IEnumerable<string> items, int total)
    {
        var shown = items.Take(Shown).ToList();
        var rest = total - shown.Count;
        return rest > 0 ? $"{string.Join(", ", shown)}, … (and {rest:N0} more)" : string.Join(", ", shown);
    }

    /// <summary>
    /// A label, column or file name as a warning shows it: labels and file names come from the upload,
    /// so characters that reorder or hide the text around them are blanked (<see cref="DisplayName"/>).
    /// </summary>
    public static string Name(string name)
    {
        var cleaned = DisplayName.Clean(name, NameLength);
        return name.Trim().Length > NameLength ? cleaned + "…" : cleaned;
    }
}
