using System.Security.Cryptography;
using System.Text;
using Platform.Domain.Common;

namespace Platform.Jobs.Privacy;

/// <summary>
/// The names of one folder's entries in a tenant export, made from names users typed (datasets, labels,
/// base models). Each is one path segment that extracts anywhere: no separators, none of the characters
/// Windows refuses, no trailing dot or space, not too long. Two different names must never meet in one
/// entry, or the second overwrites the first ("x/y" and "x_y" both clean to "x_y"), and they must differ
/// ignoring case too, as Windows and macOS extract them. So a name that cleaning changed, or whose clean
/// form another name took first, ends with the last characters of its id. A changed name never takes a
/// plain entry, so "x_y" keeps "x_y" whatever order the names come in; the id in an entry finds its row
/// in the JSON beside it.
/// </summary>
internal sealed class ExportNames
{
    private const int MaxLength = 120;

    private static readonly HashSet<string> Reserved = new(
        ["CON", "PRN", "AUX", "NUL", .. Enumerable.Range(1, 9).SelectMany(i => new[] { $"COM{i}", $"LPT{i}" })], StringComparer.OrdinalIgnoreCase);

    private readonly HashSet<string> _taken = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The entry for <paramref name="name"/> (with <paramref name="tail"/> after it, e.g. "-v2"); <paramref name="id"/> tells it apart.</summary>
    public string Add(string name, string id, string tail = "")
    {
        var clean = Clean(name);
        var entry = clean + tail;
        if (clean == name && _taken.Add(entry))
            return entry;
        // The id's end, not its start: ids are UUIDv7, whose first characters are the time they were made,
        // the same for rows made in the same minute. The whole id is unique by itself.
        foreach (var suffix in new[] { id[^Math.Min(8, id.Length)..], id })
        {
            entry = $"{clean}{tail}-{suffix}";
            if (_taken.Add(entry))
                return entry;
        }
        throw new InvalidOperationException($"Two export entries have the same id '{id}'.");
    }

    /// <summary>As <see cref="Add(string, string, string)"/> for a name without an id of its own (a label): a hash of the name stands in.</summary>
    public string Add(string name) => Add(name, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name))));

    /// <summary>One portable path segment; never empty, "." or "..".</summary>
    public static string Clean(string name)
    {
        var cleaned = string.Concat(name.Select(c => c is '/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|' || char.IsControl(c) || DisplayName.IsDirectionControl(c) ? '_' : c));
        if (cleaned.Length > MaxLength)
            cleaned = cleaned[..(char.IsHighSurrogate(cleaned[MaxLength - 1]) ? MaxLength - 1 : MaxLength)];
        // Windows drops a trailing dot or space, so "a." would land on "a"; "." and ".." are no names at all.
        var trimmed = cleaned.TrimEnd('.', ' ');
        if (trimmed.Length < cleaned.Length || trimmed.Length == 0)
            cleaned = trimmed + "_";
        var stem = cleaned.Split('.')[0];
        return Reserved.Contains(stem) ? "_" + cleaned : cleaned;
    }
}
