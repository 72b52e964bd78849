using Platform.Training.Data;
using Platform.Training.Pretraining;
using Platform.Training.Tokenization;

namespace Platform.Training.Tests.Pretraining;

public sealed class TokenMaskerTests
{
    // [PAD] [UNK] [CLS] [SEP] [MASK], then words and continuation pieces.
    private static readonly WordPieceVocabulary Vocabulary = new(
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##believ", "##able", "cat", "dog", "run", "##ning", "the", "a", "##s"]);

    [Fact]
    public void Kinds_ClassifiesSpecialWordStartAndContinuation()
    {
        var masker = new TokenMasker(Vocabulary);

        var kinds = masker.Kinds([2, 5, 6, 7, 8, 3, 0]);

        Assert.Equal([PieceKind.Special, PieceKind.WordStart, PieceKind.Continuation, PieceKind.Continuation, PieceKind.WordStart, PieceKind.Special, PieceKind.Special], kinds);
    }

    [Fact]
    public void Mask_WholeWords_SelectsEveryPieceOfAWordOrNone()
    {
        var masker = new TokenMasker(Vocabulary, probability: 0.3);
        var ids = Sentence();
        var kinds = masker.Kinds(ids);
        var words = Words(kinds);

        for (ulong seed = 0; seed < 300; seed++)
        {
            var masked = masker.Mask(ids, kinds, new SeededRandom(seed));
            var selected = masked.Positions.ToHashSet();
            foreach (var word in words)
            {
                Assert.True(word.All(selected.Contains) || !word.Any(selected.Contains), $"seed {seed}: word at {word[0]} is split");
            }

            Assert.All(masked.Positions, p => Assert.NotEqual(PieceKind.Special, kinds[p]));
            Assert.Equal(masked.Positions.Select(p => ids[p]), masked.Labels);
            Assert.Equal(masked.Positions.Order(), masked.Positions);
        }
    }

    [Fact]
    public void Mask_SinglePieces_CanSplitWords()
    {
        var masker = new TokenMasker(Vocabulary, probability: 0.3, wholeWords: false);
        var ids = Sentence();
        var kinds = masker.Kinds(ids);
        var words = Words(kinds).Where(w => w.Length > 1).ToList();

        var split = Enumerable.Range(0, 300).Any(seed =>
        {
            var selected = masker.Mask(ids, kinds, new SeededRandom((ulong)seed)).Positions.ToHashSet();
            return words.Any(w => w.Any(selected.Contains) && !w.All(selected.Contains));
        });

        Assert.True(split);
    }

    [Fact]
    public void Mask_SelectsAboutTheProbabilityAndReplacesEightyTenTen()
    {
        var masker = new TokenMasker(Vocabulary, probability: 0.15);
        var random = new Random(3);
        int selectedCount = 0, candidates = 0, masked = 0, replaced = 0, kept = 0;
        for (var n = 0; n < 2000; n++)
        {
            var ids = new List<int> { 2 };
            for (var w = 0; w < 40; w++) ids.Add(random.Next(5, Vocabulary.Count));
            ids.Add(3);
            var array = ids.ToArray();
            var kinds = masker.Kinds(array);
            var result = masker.Mask(array, kinds, new SeededRandom((ulong)n));
            candidates += kinds.Count(k => k != PieceKind.Special);
            selectedCount += result.Positions.Length;
            foreach (var p in result.Positions)
            {
                if (result.InputIds[p] == masker.MaskId)
                {
                    masked++;
                }
                else if (result.InputIds[p] == array[p])
                {
                    kept++;
                }
                else
                {
                    replaced++;
                    Assert.True(result.InputIds[p] >= 5, "a random replacement is never a special token");
                }
            }

            for (var i = 0; i < array.Length; i++)
            {
                if (!result.Positions.Contains(i)) Assert.Equal(array[i], result.InputIds[i]);
            }
        }

        Assert.InRange((double)selectedCount / candidates, 0.13, 0.16);
        Assert.InRange((double)masked / selectedCount, 0.77, 0.83);
        // A random draw can hit the original token: "kept" is 10 % plus a tenth of 1/10 of the draws.
        Assert.InRange((double)replaced / selectedCount, 0.07, 0.11);
        Assert.InRange((double)kept / selectedCount, 0.08, 0.13);
    }

    [Fact]
    public void Mask_SameSeed_SameMask_OtherSeed_OtherMask()
    {
        var masker = new TokenMasker(Vocabulary);
        var ids = Sentence();
        var kinds = masker.Kinds(ids);

        var first = masker.Mask(ids, kinds, new SeededRandom(SeededRandom.Derive(42, 1)));
        var again = masker.Mask(ids, kinds, new SeededRandom(SeededRandom.Derive(42, 1)));
        var others = Enumerable.Range(2, 10).Select(e => masker.Mask(ids, kinds, new SeededRandom(SeededRandom.Derive(42, (ulong)e)))).ToList();

        Assert.Equal(first.InputIds, again.InputIds);
        Assert.Equal(first.Positions, again.Positions);
        Assert.Contains(others, o => !o.Positions.SequenceEqual(first.Positions));
    }

    [Fact]
    public void Mask_OnlySpecialTokens_SelectsNothing()
    {
        var masker = new TokenMasker(Vocabulary);

        var result = masker.Mask([2, 3, 0], masker.Kinds([2, 3, 0]), new SeededRandom(1));

        Assert.Empty(result.Positions);
        Assert.Equal([2, 3, 0], result.InputIds);
    }

    [Fact]
    public void Constructor_VocabularyWithoutMask_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => new TokenMasker(new WordPieceVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])));

        Assert.Contains("no '[MASK]' token", error.Message);
    }

    // [CLS] un ##believ ##able cat ##s run ##ning the dog [SEP] a cat [SEP]
    private static int[] Sentence() => [2, 5, 6, 7, 8, 14, 10, 11, 12, 9, 3, 13, 8, 3];

    private static List<int[]> Words(PieceKind[] kinds)
    {
        var words = new List<List<int>>();
        for (var i = 0; i < kinds.Length; i++)
        {
            if (kinds[i] == PieceKind.WordStart) words.Add([i]);
            else if (kinds[i] == PieceKind.Continuation) words[^1].Add(i);
        }

        return words.Select(w => w.ToArray()).ToList();
    }
}
