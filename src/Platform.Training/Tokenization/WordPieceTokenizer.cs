namespace Platform.Training.Tokenization;

/// <summary>Greedy longest-match-first split of one word into vocabulary pieces.</summary>
internal sealed class WordPieceTokenizer(WordPieceVocabulary vocabulary, int unknownId, int maxInputCharsPerWord)
{
    /// <summary>Appends the ids of <paramref name="word"/>'s pieces, or the unknown id when it cannot be split.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        if (CountCodePoints(word) > maxInputCharsPerWord)
        {
            ids.Add(unknownId);
            return;
        }

        var firstPiece = ids.Count;
        var start = 0;
        while (start < word.Length)
        {
            var maxLength = start == 0 ? vocabulary.MaxTokenLength : vocabulary.MaxContinuationLength;
            var lookup = start == 0 ? vocabulary.Words : vocabulary.Continuations;
            var end = Math.Min(word.Length, start + maxLength);
            var found = -1;
            while (end > start)
            {
                // Never cut a surrogate pair: the reference slices code points.
                if (end < word.Length && char.IsLowSurrogate(word[end]))
                {
                    end--;
                    continue;
                }

                if (lookup.TryGetValue(word[start..end], out var id))
                {
                    found = id;
                    break;
                }

                end--;
            }

            if (found < 0)
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(unknownId);
                return;
            }

            ids.Add(found);
            start = end;
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        var count = word.Length;
        foreach (var c in word)
        {
            if (char.IsLowSurrogate(c))
            {
                count--;
            }
        }

        return count;
    }
}
