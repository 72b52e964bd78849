using Platform.Training.Data;
using Platform.Training.Tokenization;

namespace Platform.Training.Pretraining;

/// <summary>What a token of a sequence is to the masker.</summary>
public enum PieceKind : byte
{
    /// <summary>[CLS], [SEP], [PAD] and the like: never selected.</summary>
    Special,

    /// <summary>The first (or only) piece of a word.</summary>
    WordStart,

    /// <summary>A "##" piece continuing the word before it.</summary>
    Continuation,
}

/// <summary>
/// One sequence after masking: the model's input, the positions selected for prediction (ascending)
/// and the original token at each of them (the targets).
/// </summary>
public sealed record MaskedSequence(int[] InputIds, int[] Positions, int[] Labels);

/// <summary>
/// BERT's masked-LM input corruption: about <see cref="Probability"/> of the (non-special) tokens
/// are selected for prediction, then each selected one becomes [MASK] (80 %), a random token
/// (10 %) or stays as it is (10 %). With whole-word masking the selection takes whole words: a
/// word's "##" pieces are selected with it or not at all (Hugging Face's
/// DataCollatorForWholeWordMask: words in random order, a word that would overshoot the count is
/// skipped).
/// </summary>
/// <remarks>All randomness comes from the <see cref="SeededRandom"/> passed in, so a mask is a function of its seed.</remarks>
public sealed class TokenMasker
{
    private const double MaskShare = 0.8;
    private const double RandomShare = 0.1;

    private readonly WordPieceVocabulary _vocabulary;
    private readonly HashSet<int> _special;

    public TokenMasker(WordPieceVocabulary vocabulary, BertTokenizerOptions? tokens = null, double probability = 0.15, bool wholeWords = true)
    {
        if (probability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability), "must be in (0, 1)");
        tokens ??= new BertTokenizerOptions();
        _vocabulary = vocabulary;
        Probability = probability;
        WholeWords = wholeWords;
        MaskId = vocabulary.TryGetId(tokens.MaskToken, out var mask) ? mask : throw new InvalidDataException($"the vocabulary has no '{tokens.MaskToken}' token");
        _special = [];
        foreach (var token in new[] { tokens.PaddingToken, tokens.UnknownToken, tokens.ClassifierToken, tokens.SeparatorToken, tokens.MaskToken })
        {
            if (vocabulary.TryGetId(token, out var id)) _special.Add(id);
        }

        if (_special.Count >= vocabulary.Count) throw new InvalidDataException("the vocabulary has no tokens besides the special ones");
    }

    public double Probability { get; }
    public bool WholeWords { get; }
    public int MaskId { get; }

    /// <summary>Classifies each token: special, word start or "##" continuation.</summary>
    public PieceKind[] Kinds(ReadOnlySpan<int> ids)
    {
        var kinds = new PieceKind[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            kinds[i] = _special.Contains(ids[i]) ? PieceKind.Special
                : _vocabulary.GetToken(ids[i]).StartsWith("##", StringComparison.Ordinal) ? PieceKind.Continuation
                : PieceKind.WordStart;
        }

        return kinds;
    }

    public MaskedSequence Mask(ReadOnlySpan<int> ids, ReadOnlySpan<PieceKind> kinds, SeededRandom random)
    {
        if (ids.Length != kinds.Length) throw new ArgumentException("ids and kinds differ in length");
        var groups = Candidates(kinds, out var candidates);
        var input = ids.ToArray();
        if (candidates == 0)
        {
            return new MaskedSequence(input, [], []);
        }

        var target = Math.Max(1, (int)Math.Round(candidates * Probability, MidpointRounding.ToEven));
        random.Shuffle(groups.AsSpan());
        var selected = new List<int>(target);
        foreach (var (start, length) in groups)
        {
            if (selected.Count >= target) break;
            if (selected.Count + length > target) continue;
            for (var i = start; i < start + length; i++) selected.Add(i);
        }

        selected.Sort();
        var labels = new int[selected.Count];
        for (var k = 0; k < selected.Count; k++)
        {
            var position = selected[k];
            labels[k] = ids[position];
            var roll = random.NextDouble();
            if (roll < MaskShare)
            {
                input[position] = MaskId;
            }
            else if (roll < MaskShare + RandomShare)
            {
                input[position] = RandomToken(random);
            }
        }

        return new MaskedSequence(input, [.. selected], labels);
    }

    // Runs of positions that are selected together: whole words, or single pieces.
    private (int Start, int Length)[] Candidates(ReadOnlySpan<PieceKind> kinds, out int count)
    {
        var groups = new List<(int Start, int Length)>();
        count = 0;
        for (var i = 0; i < kinds.Length; i++)
        {
            if (kinds[i] == PieceKind.Special) continue;
            count++;
            var continues = WholeWords && kinds[i] == PieceKind.Continuation && i > 0 && kinds[i - 1] != PieceKind.Special && groups.Count > 0;
            if (continues)
            {
                var (start, length) = groups[^1];
                groups[^1] = (start, length + 1);
            }
            else
            {
                groups.Add((i, 1));
            }
        }

        return [.. groups];
    }

    private int RandomToken(SeededRandom random)
    {
        while (true)
        {
            var id = random.NextInt(_vocabulary.Count);
            if (!_special.Contains(id)) return id;
        }
    }
}
