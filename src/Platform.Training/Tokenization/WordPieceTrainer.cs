using System.Runtime.InteropServices;
using System.Text;

namespace Platform.Training.Tokenization;

/// <summary>What <see cref="WordPieceTrainer"/> builds.</summary>
public sealed record WordPieceTrainerOptions
{
    /// <summary>Tokens in the result, special tokens and the alphabet included (the alphabet is never cut to fit).</summary>
    public int VocabularySize { get; init; } = 8000;

    /// <summary>A pair of pieces seen fewer times than this in the corpus is never merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>
    /// Keep only this many distinct characters, the most frequent (Hugging Face's BertWordPieceTokenizer
    /// uses 1000): rare symbols would otherwise take two entries each. Words with a dropped character
    /// tokenise to [UNK]. Null keeps every character.
    /// </summary>
    public int? MaxAlphabet { get; init; } = 1000;

    /// <summary>Casing, accent stripping and the special tokens; the same options must tokenise with the result.</summary>
    public BertTokenizerOptions Tokenizer { get; init; } = new();

    internal void Validate()
    {
        if (VocabularySize < 1) throw new ArgumentException("vocabulary size must be at least 1");
        if (MinFrequency < 1) throw new ArgumentException("min frequency must be at least 1");
        if (MaxAlphabet is < 1) throw new ArgumentException("the alphabet limit must be at least 1");
    }
}

/// <summary>Counts of a finished vocabulary training.</summary>
public sealed record WordPieceTrainingSummary(
    long Words, int DistinctWords, int SkippedWords, int Alphabet, int DroppedCharacters, int Merges, int VocabularySize);

/// <summary>
/// Trains a BERT WordPiece vocabulary from text the way Hugging Face tokenizers' BertWordPieceTokenizer
/// trainer does: the texts are split into words exactly as <see cref="BertTokenizer"/> splits them,
/// every word starts as its characters (the first bare, the others with the "##" continuation
/// prefix), and the most frequent adjacent pair of pieces is merged, again and again, until the
/// vocabulary has its size or no pair is frequent enough. The result starts with the special tokens
/// ([PAD] [UNK] [CLS] [SEP] [MASK]), then every kept character, then every character's "##" form,
/// then the merged pieces in the order they were made.
/// </summary>
/// <remarks>
/// Deterministic: words are processed in ordinal order and ties between equally frequent pairs go to
/// the pair of older pieces, so the same corpus and options give the same file. Pair counts are
/// kept up to date incrementally (only the words holding the merged pair are revisited), with a
/// priority queue whose stale entries are corrected when they surface, as in the reference.
/// </remarks>
public sealed class WordPieceTrainer
{
    private const string ContinuationPrefix = "##";

    private readonly WordPieceTrainerOptions _options;
    private readonly BasicTokenizer _basic;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _special;
    private readonly Dictionary<string, long> _wordCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _wordLookup;
    private long _words;
    private int _skipped;

    public WordPieceTrainer(WordPieceTrainerOptions? options = null)
    {
        _options = options ?? new WordPieceTrainerOptions();
        _options.Validate();
        var t = _options.Tokenizer;
        var special = new HashSet<string>(StringComparer.Ordinal) { t.PaddingToken, t.UnknownToken, t.ClassifierToken, t.SeparatorToken, t.MaskToken };
        _basic = new BasicTokenizer(t, special);
        _special = special.GetAlternateLookup<ReadOnlySpan<char>>();
        _wordLookup = _wordCounts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Set by <see cref="Build"/>.</summary>
    public WordPieceTrainingSummary? Summary { get; private set; }

    /// <summary>Trains on <paramref name="texts"/> in one call.</summary>
    public static WordPieceVocabulary Train(IEnumerable<string> texts, WordPieceTrainerOptions? options = null)
    {
        var trainer = new WordPieceTrainer(options);
        foreach (var text in texts)
        {
            trainer.Add(text);
        }

        return trainer.Build();
    }

    /// <summary>Counts the words of one text (a document, a line).</summary>
    public void Add(string text)
    {
        var work = TokenizerWorkspace.Current;
        _basic.Split(text, work);
        for (var i = 0; i < work.TokenCount; i++)
        {
            var word = work.Token(i);
            // Longer words tokenise to [UNK] whatever the vocabulary holds; special tokens are in it already.
            if (CountCodePoints(word) > _options.Tokenizer.MaxInputCharsPerWord || _special.Contains(word))
            {
                _skipped++;
                continue;
            }

            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_wordLookup, word, out _);
            count++;
            _words++;
        }
    }

    /// <summary>The vocabulary of everything added so far.</summary>
    public WordPieceVocabulary Build()
    {
        var words = _wordCounts.Keys.Order(StringComparer.Ordinal).ToArray();
        var counts = words.Select(w => _wordCounts[w]).ToArray();

        var tokens = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        void AddToken(string token)
        {
            if (ids.TryAdd(token, tokens.Count)) tokens.Add(token);
        }

        var t = _options.Tokenizer;
        foreach (var special in new[] { t.PaddingToken, t.UnknownToken, t.ClassifierToken, t.SeparatorToken, t.MaskToken })
        {
            AddToken(special);
        }

        var (alphabet, dropped) = Alphabet(words, counts);
        foreach (var c in alphabet)
        {
            AddToken(c);
        }

        foreach (var c in alphabet)
        {
            AddToken(ContinuationPrefix + c);
        }

        var merges = new PairMerger(tokens, ids, _options).Run(words, counts);
        Summary = new WordPieceTrainingSummary(_words, words.Length, _skipped, alphabet.Count, dropped, merges, tokens.Count);
        return new WordPieceVocabulary(tokens);
    }

    // The characters to keep, as strings (a surrogate pair is one character), ordered by code point.
    private (List<string> Kept, int Dropped) Alphabet(string[] words, long[] counts)
    {
        var frequency = new Dictionary<int, long>();
        for (var w = 0; w < words.Length; w++)
        {
            foreach (var rune in words[w].EnumerateRunes())
            {
                CollectionsMarshal.GetValueRefOrAddDefault(frequency, rune.Value, out _) += counts[w];
            }
        }

        var ranked = frequency.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Select(kv => kv.Key).ToList();
        var keep = _options.MaxAlphabet is { } limit ? ranked.Take(limit).ToList() : ranked;
        keep.Sort();
        return (keep.Select(c => new Rune(c).ToString()).ToList(), ranked.Count - keep.Count);
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        var count = word.Length;
        foreach (var c in word)
        {
            if (char.IsLowSurrogate(c)) count--;
        }

        return count;
    }

    /// <summary>The merge loop over words held as arrays of piece ids.</summary>
    private sealed class PairMerger(List<string> tokens, Dictionary<string, int> ids, WordPieceTrainerOptions options)
    {
        private readonly Dictionary<long, long> _pairCounts = [];
        private readonly Dictionary<long, List<int>> _where = [];
        private readonly PriorityQueue<long, (long Count, long Pair)> _queue = new(Comparer<(long Count, long Pair)>.Create(
            // Most frequent first; ties go to the pair of lower ids (older pieces), as in the reference.
            (x, y) => x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair)));

        private int[][] _symbols = [];
        private int[] _lengths = [];
        private long[] _counts = [];
        private int[] _visited = [];
        private int _mergeNumber;

        public int Run(string[] words, long[] counts)
        {
            Split(words, counts);
            for (var w = 0; w < _symbols.Length; w++)
            {
                var s = _symbols[w];
                for (var i = 0; i + 1 < _lengths[w]; i++)
                {
                    AddPair(Key(s[i], s[i + 1]), _counts[w], w);
                }
            }

            foreach (var (pair, count) in _pairCounts)
            {
                _queue.Enqueue(pair, (count, pair));
            }

            var merges = 0;
            var changed = new Dictionary<long, long>();
            while (tokens.Count < options.VocabularySize && _queue.TryDequeue(out var pair, out var queued))
            {
                var actual = _pairCounts.GetValueOrDefault(pair);
                if (actual != queued.Count)
                {
                    // A stale entry: counts changed since it was queued. Requeue with the true count.
                    if (actual > 0) _queue.Enqueue(pair, (actual, pair));
                    continue;
                }

                if (actual < options.MinFrequency)
                {
                    break;
                }

                var (a, b) = (First(pair), Second(pair));
                var right = tokens[b];
                var merged = tokens[a] + (right.StartsWith(ContinuationPrefix, StringComparison.Ordinal) ? right[ContinuationPrefix.Length..] : right);
                // Two different pairs can spell the same piece ("a"+"##bc", "ab"+"##c"): it keeps its first id.
                if (!ids.TryGetValue(merged, out var id))
                {
                    id = tokens.Count;
                    ids[merged] = id;
                    tokens.Add(merged);
                }

                merges++;
                Merge(pair, a, b, id, changed);
            }

            return merges;
        }

        private void Split(string[] words, long[] counts)
        {
            var symbols = new List<int[]>(words.Length);
            var kept = new List<long>(words.Length);
            var buffer = new List<int>();
            foreach (var (word, count) in words.Zip(counts))
            {
                buffer.Clear();
                var first = true;
                var known = true;
                foreach (var rune in word.EnumerateRunes())
                {
                    var text = rune.ToString();
                    if (!ids.TryGetValue(first ? text : ContinuationPrefix + text, out var id))
                    {
                        known = false;
                        break;
                    }

                    buffer.Add(id);
                    first = false;
                }

                // A word with a character outside the alphabet can only become [UNK]: it takes no part.
                if (known && buffer.Count > 1)
                {
                    symbols.Add([.. buffer]);
                    kept.Add(count);
                }
            }

            _symbols = [.. symbols];
            _lengths = _symbols.Select(s => s.Length).ToArray();
            _counts = [.. kept];
            _visited = new int[_symbols.Length];
        }

        private void Merge(long pair, int a, int b, int merged, Dictionary<long, long> changed)
        {
            changed.Clear();
            _mergeNumber++;
            if (!_where.Remove(pair, out var words))
            {
                return;
            }

            foreach (var w in words)
            {
                // A word is listed once each time the pair appeared in it, and may no longer hold it: visit it once.
                if (_visited[w] == _mergeNumber) continue;
                _visited[w] = _mergeNumber;
                var s = _symbols[w];
                var length = _lengths[w];
                var count = _counts[w];
                var i = 0;
                while (i < length - 1)
                {
                    if (s[i] == a && s[i + 1] == b)
                    {
                        if (i > 0)
                        {
                            Change(changed, Key(s[i - 1], a), -count);
                            Change(changed, Key(s[i - 1], merged), count, w);
                        }

                        if (i + 2 < length)
                        {
                            Change(changed, Key(b, s[i + 2]), -count);
                            Change(changed, Key(merged, s[i + 2]), count, w);
                        }

                        s[i] = merged;
                        Array.Copy(s, i + 2, s, i + 1, length - i - 2);
                        length--;
                    }

                    i++;
                }

                _lengths[w] = length;
            }

            _pairCounts.Remove(pair);
            foreach (var (key, delta) in changed)
            {
                if (key == pair) continue;
                ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, key, out _);
                total += delta;
                if (delta > 0)
                {
                    _queue.Enqueue(key, (total, key));
                }
            }
        }

        private void Change(Dictionary<long, long> changed, long key, long delta, int word = -1)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(changed, key, out _) += delta;
            if (word >= 0) Where(key).Add(word);
        }

        private void AddPair(long key, long count, int word)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, key, out _) += count;
            Where(key).Add(word);
        }

        private List<int> Where(long key)
        {
            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_where, key, out var exists);
            if (!exists) list = [];
            return list!;
        }

        private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

        private static int First(long key) => (int)(key >> 32);

        private static int Second(long key) => (int)key;
    }
}
