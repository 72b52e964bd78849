using System.Text;
using Platform.Training.Tests.Common;
using Platform.Training.Tokenization;

namespace Platform.Training.Tests.Tokenization;

public sealed class WordPieceTrainerTests
{
    private static readonly string[] Specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    [Fact]
    public void Train_TinyCorpus_MergesTheFrequentPairOnly()
    {
        var vocabulary = WordPieceTrainer.Train(["ab ab", "ab ac"], new WordPieceTrainerOptions { VocabularySize = 100, MinFrequency = 2 });

        // "ab" is seen 3 times, "ac" once: only (a, ##b) reaches the minimum frequency; "##" is dropped from the right side.
        Assert.Equal([.. Specials, "a", "b", "c", "##a", "##b", "##c", "ab"], vocabulary.Tokens);
    }

    [Fact]
    public void Train_ClassicBpeExample_MergesInFrequencyOrderWithContinuations()
    {
        var corpus = Repeat("low", 5).Concat(Repeat("lower", 2)).Concat(Repeat("newest", 6)).Concat(Repeat("widest", 3));

        var vocabulary = WordPieceTrainer.Train(corpus, new WordPieceTrainerOptions { VocabularySize = 5 + 20 + 4, MinFrequency = 1 });

        // (##e,##s) and (##s,##t) both count 9: the tie goes to the pair of lower ids; then (##es,##t) counts 9;
        // then (l,##o) and (##o,##w) tie at 7, and (l,##o) goes first, which makes (lo,##w) 7.
        Assert.Equal(["##es", "##est", "lo", "low"], vocabulary.Tokens.Skip(25));
    }

    [Fact]
    public void Train_RandomCorpora_MatchesNaiveRecountingReference()
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var corpus = ZipfCorpus(seed, documents: 300, distinctWords: 150);
            var options = new WordPieceTrainerOptions { VocabularySize = 200, MinFrequency = seed % 2 + 1 };

            var vocabulary = WordPieceTrainer.Train(corpus, options);

            Assert.Equal(NaiveReference(corpus, options), vocabulary.Tokens);
        }
    }

    [Fact]
    public void Train_MixedCorpus_EveryWordTokenisesWithoutUnknown()
    {
        var corpus = new List<string>(ZipfCorpus(3, documents: 200, distinctWords: 300))
        {
            "Naïve café owners, don't panic: e-mail us at help@example.com!",
            "ÜBER-cool résumé; 東京 and 北京 — 42 times (or 3.14).",
            "A [MASK] token and [SEP] stay whole; tabs\tand\nnewlines split.",
        };
        var vocabulary = WordPieceTrainer.Train(corpus, new WordPieceTrainerOptions { VocabularySize = 150 });
        var tokenizer = new BertTokenizer(vocabulary);

        foreach (var document in corpus)
        {
            var ids = tokenizer.TokenizeToIds(document);
            Assert.DoesNotContain(tokenizer.UnknownId, ids);
        }

        Assert.Equal(vocabulary.Tokens.Count, vocabulary.Tokens.Distinct().Count());
        Assert.Equal(Specials, vocabulary.Tokens.Take(5));
        Assert.Contains("##東", vocabulary.Tokens);
    }

    [Fact]
    public void Train_FrequentWords_BecomeSingleTokens()
    {
        var corpus = ZipfCorpus(5, documents: 400, distinctWords: 200);
        var vocabulary = WordPieceTrainer.Train(corpus, new WordPieceTrainerOptions { VocabularySize = 300 });
        var tokenizer = new BertTokenizer(vocabulary);
        var frequent = corpus.SelectMany(d => d.Split(' ')).GroupBy(w => w).OrderByDescending(g => g.Count()).Take(20).Select(g => g.Key);

        foreach (var word in frequent)
        {
            Assert.Equal([word], tokenizer.Tokenize(word));
        }

        Assert.Equal(300, vocabulary.Count);
    }

    [Fact]
    public void Train_ShuffledDocuments_GiveTheSameVocabulary()
    {
        var corpus = ZipfCorpus(6, documents: 300, distinctWords: 250);
        var shuffled = corpus.OrderBy(d => d.GetHashCode(StringComparison.Ordinal)).ToList();
        var options = new WordPieceTrainerOptions { VocabularySize = 400 };

        var first = WordPieceTrainer.Train(corpus, options);
        var again = WordPieceTrainer.Train(corpus, options);
        var reordered = WordPieceTrainer.Train(shuffled, options);

        Assert.Equal(first.Tokens, again.Tokens);
        Assert.Equal(first.Tokens, reordered.Tokens);
    }

    [Fact]
    public void Train_SavedVocabulary_LoadsIntoBertTokenizerFromFolder()
    {
        using var dir = new TestDirectory();
        var corpus = ZipfCorpus(7, documents: 100, distinctWords: 80);
        var vocabulary = WordPieceTrainer.Train(corpus, new WordPieceTrainerOptions { VocabularySize = 120 });
        vocabulary.Save(dir.File("vocab.txt"));

        var tokenizer = BertTokenizer.FromFolder(dir.Path);

        Assert.Equal(vocabulary.Tokens, tokenizer.Vocabulary.Tokens);
        Assert.Equal(0, tokenizer.PaddingId);
        var encoding = tokenizer.Encode(corpus[0], maxLength: 32);
        Assert.Equal(2, encoding.InputIds[0]);
        Assert.DoesNotContain(1L, encoding.InputIds);
    }

    [Fact]
    public void Train_CasedOptions_KeepCaseAndAccents()
    {
        var options = new WordPieceTrainerOptions { VocabularySize = 60, Tokenizer = new BertTokenizerOptions { LowerCase = false } };

        var vocabulary = WordPieceTrainer.Train(["Café Café Café"], options);

        Assert.Contains("Café", vocabulary.Tokens);
        Assert.Contains("C", vocabulary.Tokens);
        Assert.DoesNotContain("c", vocabulary.Tokens);
    }

    [Fact]
    public void Train_AlphabetLimit_DropsTheRarestCharacters()
    {
        var trainer = new WordPieceTrainer(new WordPieceTrainerOptions { VocabularySize = 50, MaxAlphabet = 3 });
        trainer.Add("aaa bbb ccc aaa bbb aaa zq");

        var vocabulary = trainer.Build();

        Assert.Equal(["a", "b", "c", "##a", "##b", "##c"], vocabulary.Tokens.Skip(5).Take(6));
        Assert.Equal(2, trainer.Summary!.DroppedCharacters);
        Assert.Equal([1], new BertTokenizer(vocabulary).TokenizeToIds("zq"));
    }

    private static IEnumerable<string> Repeat(string word, int times) => Enumerable.Repeat(word, times);

    // Lower-case ASCII words with a Zipf-like frequency, so BasicTokenizer's split is the split on spaces.
    private static List<string> ZipfCorpus(int seed, int documents, int distinctWords)
    {
        var random = new Random(seed);
        var words = new string[distinctWords];
        for (var i = 0; i < distinctWords; i++)
        {
            var word = new StringBuilder();
            var length = 2 + random.Next(9);
            for (var c = 0; c < length; c++) word.Append((char)('a' + Math.Min(25, (int)(-Math.Log(1 - random.NextDouble()) * 6))));
            words[i] = word.ToString();
        }

        var weights = Enumerable.Range(1, distinctWords).Select(r => 1.0 / r).ToArray();
        var total = weights.Sum();
        var corpus = new List<string>();
        for (var d = 0; d < documents; d++)
        {
            var picked = new List<string>();
            for (var w = 0; w < 3 + random.Next(12); w++)
            {
                var roll = random.NextDouble() * total;
                var index = 0;
                while (roll > weights[index] && index < distinctWords - 1) roll -= weights[index++];
                picked.Add(words[index]);
            }

            corpus.Add(string.Join(' ', picked));
        }

        return corpus;
    }

    // The algorithm without incremental bookkeeping: recount every pair before every merge.
    private static List<string> NaiveReference(IEnumerable<string> corpus, WordPieceTrainerOptions options)
    {
        var counts = corpus.SelectMany(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries)).GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        var tokens = new List<string>(Specials);
        var alphabet = counts.Keys.SelectMany(w => w).Distinct().Order().Select(c => c.ToString()).ToList();
        tokens.AddRange(alphabet);
        tokens.AddRange(alphabet.Select(c => "##" + c));
        var words = counts.Keys.Order(StringComparer.Ordinal)
            .Select(w => (Pieces: w.Select((c, i) => tokens.IndexOf(i == 0 ? c.ToString() : "##" + c)).ToList(), Count: counts[w]))
            .ToList();
        while (tokens.Count < options.VocabularySize)
        {
            var pairs = new Dictionary<(int, int), long>();
            foreach (var (pieces, count) in words)
            {
                for (var i = 0; i + 1 < pieces.Count; i++) pairs[(pieces[i], pieces[i + 1])] = pairs.GetValueOrDefault((pieces[i], pieces[i + 1])) + count;
            }

            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).First();
            if (best.Value < options.MinFrequency) break;
            var (a, b) = best.Key;
            var merged = tokens[a] + tokens[b].Replace("##", "", StringComparison.Ordinal);
            var id = tokens.IndexOf(merged);
            if (id < 0)
            {
                id = tokens.Count;
                tokens.Add(merged);
            }

            foreach (var (pieces, _) in words)
            {
                for (var i = 0; i + 1 < pieces.Count; i++)
                {
                    if (pieces[i] == a && pieces[i + 1] == b)
                    {
                        pieces[i] = id;
                        pieces.RemoveAt(i + 1);
                    }
                }
            }
        }

        return tokens;
    }
}
