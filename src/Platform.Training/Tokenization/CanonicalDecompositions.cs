namespace Platform.Training.Tokenization;

/// <summary>Canonical (NFD) decomposition of single code points.</summary>
/// <remarks>
/// The platform runs with InvariantGlobalization, where string.Normalize returns its input,
/// so the table is generated from Python's unicodedata (the reference BertTokenizer uses it).
/// </remarks>
internal static partial class CanonicalDecompositions
{
    private const int HangulBase = 0xAC00;
    private const int HangulCount = 11172;
    private const int LeadBase = 0x1100;
    private const int VowelBase = 0x1161;
    private const int TrailBase = 0x11A7;
    private const int VowelCount = 21;
    private const int TrailCount = 28;

    /// <summary>Writes the decomposition of <paramref name="codePoint"/> into <paramref name="destination"/>.</summary>
    /// <returns>The number of chars written, or 0 when the code point does not decompose.</returns>
    public static int Decompose(int codePoint, Span<char> destination)
    {
        var hangulIndex = codePoint - HangulBase;
        if ((uint)hangulIndex < HangulCount)
        {
            destination[0] = (char)(LeadBase + hangulIndex / (VowelCount * TrailCount));
            destination[1] = (char)(VowelBase + hangulIndex % (VowelCount * TrailCount) / TrailCount);
            var trail = hangulIndex % TrailCount;
            if (trail == 0)
            {
                return 2;
            }

            destination[2] = (char)(TrailBase + trail);
            return 3;
        }

        if (codePoint < 0xC0)
        {
            return 0;
        }

        var index = Keys.BinarySearch(codePoint);
        if (index < 0)
        {
            return 0;
        }

        var value = Values[Offsets[index]..Offsets[index + 1]];
        value.CopyTo(destination);
        return value.Length;
    }

    /// <summary>The longest decomposition in chars; callers size their scratch buffers with it.</summary>
    public const int MaxLength = 8;
}
