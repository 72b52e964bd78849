namespace Platform.Training.Pretraining;

/// <summary>
/// Turns tokenized documents into model sequences: "[CLS] doc [SEP]", or with packing
/// "[CLS] doc1 [SEP] doc2 [SEP] ..." filled up to the maximum length. A document that fits a
/// sequence is never split: when it does not fit the current one, it starts the next. A document
/// longer than a sequence is cut into pieces (with packing, the first piece fills what is left of
/// the current sequence when that is at least a quarter of it), each cut moved back to the start
/// of a word where one is in reach.
/// </summary>
public static class SequencePacker
{
    /// <param name="documents">Token ids without special tokens, one array per document; empty ones are skipped.</param>
    /// <param name="isContinuation">Whether a token id is a "##" piece (a cut never lands before one if it can help it).</param>
    public static List<int[]> Pack(IEnumerable<int[]> documents, int maxLength, bool pack, int classifierId, int separatorId, Func<int, bool> isContinuation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        var sequences = new List<int[]>();
        var current = new List<int>(maxLength) { classifierId };
        foreach (var document in documents)
        {
            if (document.Length == 0)
            {
                continue;
            }

            if (document.Length <= maxLength - 2)
            {
                if (!pack || current.Count + document.Length + 1 > maxLength)
                {
                    Flush();
                }

                Append(document);
                continue;
            }

            var start = 0;
            while (start < document.Length)
            {
                var room = maxLength - current.Count - 1;
                if (!pack || room < Math.Max(1, (maxLength - 2) / 4))
                {
                    Flush();
                    room = maxLength - 2;
                }

                var end = Cut(document, start, room, isContinuation);
                Append(document.AsSpan(start, end - start));
                start = end;
            }
        }

        Flush();
        return sequences;

        void Append(ReadOnlySpan<int> tokens)
        {
            current.AddRange(tokens);
            current.Add(separatorId);
        }

        void Flush()
        {
            if (current.Count > 1)
            {
                sequences.Add([.. current]);
            }

            current.Clear();
            current.Add(classifierId);
        }
    }

    // The end of the piece that starts at start and holds at most room tokens.
    private static int Cut(int[] document, int start, int room, Func<int, bool> isContinuation)
    {
        var end = Math.Min(document.Length, start + room);
        if (end == document.Length)
        {
            return end;
        }

        var cut = end;
        while (cut > start + 1 && isContinuation(document[cut]))
        {
            cut--;
        }

        // A single word longer than the room is cut where the room ends.
        return cut > start + 1 || !isContinuation(document[cut]) ? cut : end;
    }
}
