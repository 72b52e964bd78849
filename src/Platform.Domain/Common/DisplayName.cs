namespace Platform.Domain.Common;

/// <summary>
/// The one rule for names people give things (organisations, datasets, jobs, keys, models): trimmed,
/// 1 to a maximum length, and free of characters that change how the text around them shows. Control
/// characters put terminal escapes into exports and logs; the bidirectional formatting characters
/// (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) reorder what a reader sees, so a job named
/// "invoice\u202Egpj.exe" reads as "invoiceexe.jpg" in every list that shows it.
/// </summary>
public static class DisplayName
{
    /// <summary>Null when <paramref name="name"/> (trimmed) is acceptable, else why not, naming it as <paramref name="what"/> ("The job name").</summary>
    public static string? Check(string? name, string what, int maxLength)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is 0 || trimmed.Length > maxLength)
            return $"{what} must be 1 to {maxLength:N0} characters{(trimmed.Length > maxLength ? $" (it is {trimmed.Length:N0})" : "")}.";
        if (trimmed.Any(char.IsControl))
            return $"{what} cannot contain control characters.";
        return trimmed.Any(IsDirectionControl) ? $"{what} cannot contain text-direction characters (such as U+202E)." : null;
    }

    /// <summary>
    /// A name made from other text (a file's name, a model's): control and direction characters become
    /// spaces and it is cut to <paramref name="maxLength"/>, since there is no one to ask.
    /// </summary>
    public static string Clean(string name, int maxLength)
    {
        var cleaned = string.Concat(name.Select(c => char.IsControl(c) || IsDirectionControl(c) ? ' ' : c)).Trim();
        return cleaned.Length > maxLength ? cleaned[..maxLength].TrimEnd() : cleaned;
    }

    public static bool IsDirectionControl(char c) =>
        c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';
}
