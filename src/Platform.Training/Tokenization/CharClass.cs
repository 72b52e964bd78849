using System.Globalization;

namespace Platform.Training.Tokenization;

[Flags]
internal enum CharKind : byte
{
    None = 0,
    Removed = 1,
    Whitespace = 2,
    Punctuation = 4,
    Chinese = 8,
    NonSpacingMark = 16,
}

/// <summary>BERT's character classes, as the reference BasicTokenizer defines them.</summary>
internal static class CharClass
{
    // One byte per BMP char: classifying through CharUnicodeInfo per char costs more than the rest of tokenization.
    private static readonly CharKind[] Bmp = BuildBmpTable();

    public static CharKind Of(int codePoint) =>
        codePoint <= 0xFFFF ? Bmp[codePoint] : Compute(codePoint);

    private static CharKind[] BuildBmpTable()
    {
        var table = new CharKind[0x10000];
        for (var c = 0; c < table.Length; c++)
        {
            table[c] = Compute(c);
        }

        return table;
    }

    private static CharKind Compute(int cp)
    {
        if (cp is 0 or 0xFFFD)
        {
            return CharKind.Removed;
        }

        if (cp is ' ' or '\t' or '\n' or '\r')
        {
            return CharKind.Whitespace;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(cp);
        switch (category)
        {
            case UnicodeCategory.SpaceSeparator:
            // Python's str.split, which the reference uses after cleaning, also splits on these two.
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
                return CharKind.Whitespace;
            case UnicodeCategory.Control:
            case UnicodeCategory.Format:
            case UnicodeCategory.Surrogate:
            case UnicodeCategory.PrivateUse:
            case UnicodeCategory.OtherNotAssigned:
                return CharKind.Removed;
            case UnicodeCategory.NonSpacingMark:
                return CharKind.NonSpacingMark;
        }

        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126)
        {
            return CharKind.Punctuation;
        }

        if (category is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation)
        {
            return CharKind.Punctuation;
        }

        return IsChinese(cp) ? CharKind.Chinese : CharKind.None;
    }

    // The CJK Unified Ideographs blocks only: Hangul, Hiragana and Katakana are written with spaces.
    private static bool IsChinese(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF
            or >= 0x3400 and <= 0x4DBF
            or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F
            or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF
            or >= 0x2F800 and <= 0x2FA1F;
}
