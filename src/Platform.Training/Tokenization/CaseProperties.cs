using System.Globalization;
using System.Text;

namespace Platform.Training.Tokenization;

/// <summary>The Unicode Cased and Case_Ignorable properties, which decide the final sigma.</summary>
internal static class CaseProperties
{
    public static bool IsCaseIgnorable(Rune rune)
    {
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.Format:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.ModifierSymbol:
                return true;
        }

        // Word_Break MidLetter, MidNumLet and Single_Quote.
        return rune.Value is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
    }

    public static bool IsCased(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter)
        {
            return true;
        }

        // Other_Lowercase / Other_Uppercase outside the letter categories (modifier letters are ignorable first).
        return rune.Value is 0xAA or 0xBA or >= 0x2160 and <= 0x217F or >= 0x24B6 and <= 0x24E9
            or >= 0x1F130 and <= 0x1F149 or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189;
    }
}
