using System.Text;

namespace Platform.Training.Tokenization;

/// <summary>
/// Splits text into words the way Hugging Face's BasicTokenizer does: clean, split CJK chars,
/// split on whitespace, lower-case and strip accents, split on punctuation.
/// </summary>
/// <remarks>
/// Words are written into one growing char buffer and reported as ranges of it, so a text costs
/// no string allocation. The reference applies NFC before splitting (newer versions); with accent
/// stripping NFD follows, which makes that step irrelevant, so it is left out.
/// </remarks>
internal sealed class BasicTokenizer(BertTokenizerOptions options, HashSet<string> neverSplit)
{
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _neverSplit =
        neverSplit.GetAlternateLookup<ReadOnlySpan<char>>();

    // Longest first, so that a token which is a prefix of another never wins over it.
    private readonly string[] _specialTokens = [.. neverSplit.Where(t => t.Length > 0).OrderByDescending(t => t.Length).ThenBy(t => t, StringComparer.Ordinal)];
    private readonly System.Buffers.SearchValues<char> _specialFirstChars =
        System.Buffers.SearchValues.Create([.. neverSplit.Where(t => t.Length > 0).Select(t => t[0]).Distinct()]);

    private readonly bool _lowerCase = options.LowerCase;
    private readonly bool _stripAccents = options.ShouldStripAccents;
    private readonly bool _splitChinese = options.TokenizeChineseChars;

    public void Split(ReadOnlySpan<char> text, TokenizerWorkspace work)
    {
        work.Reset(text.Length);
        var position = 0;
        while (position < text.Length)
        {
            if (SpecialTokenAt(text[position..]) is { } special)
            {
                // Hugging Face splits the text on special tokens before anything else, so
                // "world[SEP]x" is "world", "[SEP]", "x", whatever surrounds the token.
                EmitWord(work);
                work.AppendRaw(special);
                EmitWord(work);
                position += special.Length;
                continue;
            }

            Rune.DecodeFromUtf16(text[position..], out var rune, out var consumed);
            var piece = text.Slice(position, consumed);
            position += consumed;
            var kind = CharClass.Of(rune.Value);
            if ((kind & CharKind.Removed) != 0)
            {
                // Dropped without splitting: "a\u0000b" is the word "ab", as in the reference.
                continue;
            }

            if ((kind & CharKind.Whitespace) != 0)
            {
                EmitWord(work);
                continue;
            }

            if (_splitChinese && (kind & CharKind.Chinese) != 0)
            {
                EmitWord(work);
                work.AppendRaw(piece);
                EmitWord(work);
                continue;
            }

            work.AppendRaw(piece);
        }

        EmitWord(work);
    }

    private string? SpecialTokenAt(ReadOnlySpan<char> text)
    {
        if (_specialTokens.Length == 0 || !_specialFirstChars.Contains(text[0]))
        {
            return null;
        }

        foreach (var token in _specialTokens)
        {
            if (text.StartsWith(token, StringComparison.Ordinal))
            {
                return token;
            }
        }

        return null;
    }

    private void EmitWord(TokenizerWorkspace work)
    {
        var raw = work.RawWord;
        if (raw.IsEmpty)
        {
            return;
        }

        if (_neverSplit.Contains(raw))
        {
            var start = work.Length;
            work.Append(raw);
            work.AddToken(start, raw.Length);
            work.ClearRaw();
            return;
        }

        var wordStart = work.Length;
        Transform(raw, work);
        work.ClearRaw();
        SplitOnPunctuation(work, wordStart);
    }

    private void Transform(ReadOnlySpan<char> raw, TokenizerWorkspace work)
    {
        Span<char> scratch = stackalloc char[CanonicalDecompositions.MaxLength];
        var position = 0;
        while (position < raw.Length)
        {
            var c = raw[position];
            if (c < 0x80)
            {
                work.Append(_lowerCase && c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c);
                position++;
                continue;
            }

            Rune.DecodeFromUtf16(raw[position..], out var rune, out var consumed);
            if (_lowerCase)
            {
                if (rune.Value == 0x130)
                {
                    // Python's full case mapping: capital I with dot above -> i + combining dot.
                    work.Append('i');
                    if (!_stripAccents)
                    {
                        work.Append('\u0307');
                    }

                    position += consumed;
                    continue;
                }

                rune = rune.Value == 0x3A3 && IsFinalSigma(raw, position) ? new Rune(0x3C2) : Rune.ToLowerInvariant(rune);
            }

            if (_stripAccents)
            {
                AppendWithoutMarks(rune, work, scratch);
            }
            else
            {
                work.Append(rune);
            }

            position += consumed;
        }
    }

    private static void AppendWithoutMarks(Rune rune, TokenizerWorkspace work, Span<char> scratch)
    {
        var length = CanonicalDecompositions.Decompose(rune.Value, scratch);
        if (length == 0)
        {
            if ((CharClass.Of(rune.Value) & CharKind.NonSpacingMark) == 0)
            {
                work.Append(rune);
            }

            return;
        }

        var decomposed = scratch[..length];
        var i = 0;
        while (i < decomposed.Length)
        {
            Rune.DecodeFromUtf16(decomposed[i..], out var part, out var consumed);
            if ((CharClass.Of(part.Value) & CharKind.NonSpacingMark) == 0)
            {
                work.Append(part);
            }

            i += consumed;
        }
    }

    // Python's str.lower maps a word-final capital sigma to the final form (Unicode Final_Sigma):
    // a cased letter before it and none after it, skipping case-ignorable chars on both sides.
    private static bool IsFinalSigma(ReadOnlySpan<char> word, int position)
    {
        var index = position;
        while (index > 0)
        {
            Rune.DecodeLastFromUtf16(word[..index], out var before, out var consumed);
            index -= consumed;
            if (!CaseProperties.IsCaseIgnorable(before))
            {
                if (!CaseProperties.IsCased(before))
                {
                    return false;
                }

                index = position + 1;
                while (index < word.Length)
                {
                    Rune.DecodeFromUtf16(word[index..], out var after, out var length);
                    index += length;
                    if (!CaseProperties.IsCaseIgnorable(after))
                    {
                        return !CaseProperties.IsCased(after);
                    }
                }

                return true;
            }
        }

        return false;
    }

    private static void SplitOnPunctuation(TokenizerWorkspace work, int wordStart)
    {
        var buffer = work.Buffer;
        var end = work.Length;
        var pieceStart = wordStart;
        var position = wordStart;
        while (position < end)
        {
            Rune.DecodeFromUtf16(buffer.AsSpan(position, end - position), out var rune, out var consumed);
            if ((CharClass.Of(rune.Value) & CharKind.Punctuation) != 0)
            {
                if (position > pieceStart)
                {
                    work.AddToken(pieceStart, position - pieceStart);
                }

                work.AddToken(position, consumed);
                pieceStart = position + consumed;
            }

            position += consumed;
        }

        if (end > pieceStart)
        {
            work.AddToken(pieceStart, end - pieceStart);
        }
    }
}
