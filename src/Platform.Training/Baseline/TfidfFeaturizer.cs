using System.Runtime.InteropServices;
using Platform.Training.Tokenization;

namespace Platform.Training.Baseline;

/// <summary>One text as features: ascending feature indices and their values.</summary>
internal readonly record struct SparseRow(int[] Indices, float[] Values)
{
    public int Count => Indices.Length;
}

/// <summary>
/// TF-IDF features of word n-grams and (optionally) character n-grams. Words come from BERT's basic
/// tokenizer (lower-casing, accent stripping, punctuation split off), so the baseline reads text the
/// way the fine-tuned model does. Each block (words, characters) is L2-normalised on its own and the
/// row scaled to unit length, so the many character n-grams do not drown the words.
/// </summary>
internal sealed class TfidfFeaturizer
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wordLookup;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _charLookup;
    private readonly BasicTokenizer _tokenizer;

    public TfidfFeaturizer(FeaturizerSettings settings, IReadOnlyList<string> wordTerms, IReadOnlyList<double> wordIdf,
        IReadOnlyList<string> charTerms, IReadOnlyList<double> charIdf)
    {
        if (wordTerms.Count != wordIdf.Count || charTerms.Count != charIdf.Count)
            throw new InvalidDataException("the vocabulary and the idf weights differ in length");
        if (settings.CharNgrams is null && charTerms.Count > 0)
            throw new InvalidDataException("character n-grams are off, but the vocabulary lists some");
        Settings = settings;
        WordTerms = wordTerms;
        WordIdf = wordIdf;
        CharTerms = charTerms;
        CharIdf = charIdf;
        _wordLookup = Index(wordTerms, "word").GetAlternateLookup<ReadOnlySpan<char>>();
        _charLookup = Index(charTerms, "character").GetAlternateLookup<ReadOnlySpan<char>>();
        _tokenizer = settings.CreateTokenizer();
    }

    public FeaturizerSettings Settings { get; }
    public IReadOnlyList<string> WordTerms { get; }
    public IReadOnlyList<double> WordIdf { get; }
    public IReadOnlyList<string> CharTerms { get; }
    public IReadOnlyList<double> CharIdf { get; }

    /// <summary>Word features first, then character features.</summary>
    public int FeatureCount => WordTerms.Count + CharTerms.Count;

    /// <summary>Features of a new text; terms the vocabulary lacks are left out.</summary>
    public SparseRow Transform(string text)
    {
        var words = Analysis.Words(_tokenizer, text, Settings.KeepPunctuation);
        var wordCounts = new Dictionary<int, int>();
        Analysis.ForEachWordNgram(words, Settings.WordNgrams, term =>
        {
            if (_wordLookup.TryGetValue(term, out var index))
                wordCounts[index] = wordCounts.GetValueOrDefault(index) + 1;
        });
        var charCounts = new Dictionary<int, int>();
        if (Settings.CharNgrams is { } range)
        {
            Analysis.ForEachCharNgram(words, range, term =>
            {
                if (_charLookup.TryGetValue(term, out var index))
                    charCounts[index] = charCounts.GetValueOrDefault(index) + 1;
            });
        }

        return Row(Sorted(wordCounts), Sorted(charCounts));
    }

    /// <summary>
    /// Vocabulary and idf from the analysed texts <paramref name="subset"/> names: terms in at least
    /// MinDocumentFrequency of them, in ordinal order. Returns the features of those texts and of the
    /// <paramref name="others"/> (texts held out: terms outside the vocabulary are left out, as in <see cref="Transform"/>).
    /// </summary>
    public static (TfidfFeaturizer Featurizer, SparseRow[] Rows, SparseRow[] OtherRows) Fit(Analysis analysis, int[] subset, int[]? others = null)
    {
        var settings = analysis.Settings;
        var (wordTerms, wordIdf, wordMap) = Vocabulary(analysis.WordTerms, analysis.WordCounts, subset, settings.MinDocumentFrequency);
        var (charTerms, charIdf, charMap) = Vocabulary(analysis.CharTerms, analysis.CharCounts, subset, settings.MinDocumentFrequency);
        var featurizer = new TfidfFeaturizer(settings, wordTerms, wordIdf, charTerms, charIdf);
        // Ascending term ids map to ascending feature ids (both follow ordinal order), so the counts stay sorted.
        SparseRow[] RowsOf(int[] documents) =>
            documents.Select(d => featurizer.Row(Map(analysis.WordCounts[d], wordMap), Map(analysis.CharCounts[d], charMap))).ToArray();
        return (featurizer, RowsOf(subset), RowsOf(others ?? []));
    }

    /// <summary>TF-IDF weights of sorted (feature, count) pairs: each block L2-normalised, then the row to unit length.</summary>
    private SparseRow Row(List<(int Index, int Count)> words, List<(int Index, int Count)> chars)
    {
        var indices = new int[words.Count + chars.Count];
        var values = new float[indices.Length];
        var scale = Settings.CharNgrams is null ? 1 : 1 / Math.Sqrt(2);
        Weigh(words, WordIdf, 0, scale, indices, values, 0);
        Weigh(chars, CharIdf, WordTerms.Count, scale, indices, values, words.Count);
        return new SparseRow(indices, values);
    }

    private void Weigh(List<(int Index, int Count)> counts, IReadOnlyList<double> idf, int offset, double scale, int[] indices, float[] values, int at)
    {
        Span<double> weights = counts.Count <= 512 ? stackalloc double[counts.Count] : new double[counts.Count];
        var sumSquares = 0.0;
        for (var i = 0; i < counts.Count; i++)
        {
            var (index, count) = counts[i];
            var tf = Settings.SublinearTf ? 1 + Math.Log(count) : count;
            weights[i] = tf * idf[index];
            sumSquares += weights[i] * weights[i];
        }

        var norm = Math.Sqrt(sumSquares);
        for (var i = 0; i < counts.Count; i++)
        {
            indices[at + i] = counts[i].Index + offset;
            values[at + i] = (float)(weights[i] / norm * scale);
        }
    }

    private static List<(int Index, int Count)> Sorted(Dictionary<int, int> counts)
    {
        var list = counts.Select(p => (p.Key, p.Value)).ToList();
        list.Sort((a, b) => a.Key.CompareTo(b.Key));
        return list;
    }

    private static List<(int Index, int Count)> Map((int Term, int Count)[] counts, int[] map)
    {
        var mapped = new List<(int Index, int Count)>(counts.Length);
        foreach (var (term, count) in counts)
        {
            if (map[term] >= 0)
                mapped.Add((map[term], count));
        }

        return mapped;
    }

    /// <summary>The kept terms in ordinal order, their smoothed idf, and each analysed term's feature index (-1: dropped).</summary>
    private static (List<string> Terms, List<double> Idf, int[] Map) Vocabulary(List<string> terms, (int Term, int Count)[][] documents,
        int[] subset, int minDf)
    {
        var df = new int[terms.Count];
        foreach (var document in subset)
        {
            foreach (var (term, _) in documents[document])
                df[term]++;
        }

        var map = new int[terms.Count];
        var kept = new List<string>();
        var idf = new List<double>();
        // Analysis ids follow ordinal order already, so walking them in order keeps the vocabulary sorted.
        for (var term = 0; term < terms.Count; term++)
        {
            if (df[term] < minDf)
            {
                map[term] = -1;
                continue;
            }

            map[term] = kept.Count;
            kept.Add(terms[term]);
            // Smoothed idf, as scikit-learn's default: as if one extra document held every term once.
            idf.Add(Math.Log((1.0 + subset.Length) / (1.0 + df[term])) + 1);
        }

        return (kept, idf, map);
    }

    private static Dictionary<string, int> Index(IReadOnlyList<string> terms, string kind)
    {
        var index = new Dictionary<string, int>(terms.Count, StringComparer.Ordinal);
        for (var i = 0; i < terms.Count; i++)
        {
            if (!index.TryAdd(terms[i], i))
                throw new InvalidDataException($"the {kind} vocabulary lists '{terms[i]}' twice");
        }

        return index;
    }

    /// <summary>
    /// Texts tokenized once into term counts, so that choosing C on several folds and the final fit
    /// each build their vocabulary without tokenizing again. Term ids follow the terms' ordinal order.
    /// </summary>
    internal sealed class Analysis
    {
        private Analysis(FeaturizerSettings settings, List<string> wordTerms, (int, int)[][] wordCounts, List<string> charTerms, (int, int)[][] charCounts)
        {
            Settings = settings;
            WordTerms = wordTerms;
            WordCounts = wordCounts;
            CharTerms = charTerms;
            CharCounts = charCounts;
        }

        public FeaturizerSettings Settings { get; }
        public List<string> WordTerms { get; }
        public (int Term, int Count)[][] WordCounts { get; }
        public List<string> CharTerms { get; }
        public (int Term, int Count)[][] CharCounts { get; }
        public int Count => WordCounts.Length;

        public static Analysis Of(IReadOnlyList<string> texts, FeaturizerSettings settings, CancellationToken cancellationToken = default)
        {
            var tokenizer = settings.CreateTokenizer();
            var words = new TermTable();
            var chars = new TermTable();
            var wordCounts = new (int, int)[texts.Count][];
            var charCounts = new (int, int)[texts.Count][];
            for (var i = 0; i < texts.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var tokens = Words(tokenizer, texts[i], settings.KeepPunctuation);
                ForEachWordNgram(tokens, settings.WordNgrams, words.Count);
                wordCounts[i] = words.TakeDocument();
                if (settings.CharNgrams is { } range)
                    ForEachCharNgram(tokens, range, chars.Count);
                charCounts[i] = chars.TakeDocument();
            }

            var (wordTerms, wordOrder) = words.Ordinal();
            var (charTerms, charOrder) = chars.Ordinal();
            return new Analysis(settings, wordTerms, Renumber(wordCounts, wordOrder), charTerms, Renumber(charCounts, charOrder));
        }

        private static (int, int)[][] Renumber((int Term, int Count)[][] documents, int[] order)
        {
            foreach (var document in documents)
            {
                for (var i = 0; i < document.Length; i++)
                    document[i] = (order[document[i].Term], document[i].Count);
                Array.Sort(document, (a, b) => a.Term.CompareTo(b.Term));
            }

            return documents;
        }

        /// <summary>The words of a text as the BERT basic tokenizer splits them, lower-cased; punctuation optionally dropped.</summary>
        public static List<string> Words(BasicTokenizer tokenizer, string text, bool keepPunctuation)
        {
            var work = TokenizerWorkspace.Current;
            tokenizer.Split(text, work);
            var words = new List<string>(work.TokenCount);
            for (var i = 0; i < work.TokenCount; i++)
            {
                var token = work.Token(i);
                if (!keepPunctuation && IsPunctuation(token))
                    continue;
                words.Add(token.ToString());
            }

            return words;
        }

        private static bool IsPunctuation(ReadOnlySpan<char> token)
        {
            // The basic tokenizer splits every punctuation mark into a token of its own.
            System.Text.Rune.DecodeFromUtf16(token, out var rune, out var consumed);
            return consumed == token.Length && (CharClass.Of(rune.Value) & CharKind.Punctuation) != 0;
        }

        public delegate void TermAction(ReadOnlySpan<char> term);

        /// <summary>Unigrams up to <paramref name="maxN"/>-grams of consecutive words, joined by a space.</summary>
        public static void ForEachWordNgram(List<string> words, int maxN, TermAction action)
        {
            Span<char> buffer = stackalloc char[256];
            for (var i = 0; i < words.Count; i++)
            {
                action(words[i]);
                var length = words[i].Length;
                for (var n = 2; n <= maxN && i + n <= words.Count; n++)
                {
                    length += 1 + words[i + n - 1].Length;
                    var term = length <= buffer.Length ? buffer[..length] : new char[length];
                    var position = 0;
                    for (var w = i; w < i + n; w++)
                    {
                        if (w > i)
                            term[position++] = ' ';
                        words[w].AsSpan().CopyTo(term[position..]);
                        position += words[w].Length;
                    }

                    action(term);
                }
            }
        }

        /// <summary>As scikit-learn's char_wb analyzer: n-grams of " word ", a word shorter than n counted once whole.</summary>
        public static void ForEachCharNgram(List<string> words, (int Min, int Max) range, TermAction action)
        {
            Span<char> buffer = stackalloc char[128];
            foreach (var word in words)
            {
                var padded = word.Length + 2 <= buffer.Length ? buffer[..(word.Length + 2)] : new char[word.Length + 2];
                padded[0] = ' ';
                word.AsSpan().CopyTo(padded[1..]);
                padded[^1] = ' ';
                for (var n = range.Min; n <= range.Max; n++)
                {
                    if (padded.Length <= n)
                    {
                        action(padded);
                        break;
                    }

                    for (var offset = 0; offset + n <= padded.Length; offset++)
                        action(padded.Slice(offset, n));
                }
            }
        }
    }

    /// <summary>Terms met so far with provisional ids, and the counts of the document being read.</summary>
    private sealed class TermTable
    {
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly List<string> _terms = [];
        private readonly Dictionary<int, int> _document = [];

        public void Count(ReadOnlySpan<char> term)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids.GetAlternateLookup<ReadOnlySpan<char>>(), term, out var exists);
            if (!exists)
            {
                id = _terms.Count;
                _terms.Add(term.ToString());
            }

            _document[id] = _document.GetValueOrDefault(id) + 1;
        }

        public (int Term, int Count)[] TakeDocument()
        {
            var counts = _document.Select(p => (p.Key, p.Value)).ToArray();
            _document.Clear();
            return counts;
        }

        /// <summary>The terms in ordinal order, and each provisional id's place in it.</summary>
        public (List<string> Terms, int[] Order) Ordinal()
        {
            var sorted = Enumerable.Range(0, _terms.Count).ToArray();
            Array.Sort(sorted, (a, b) => string.CompareOrdinal(_terms[a], _terms[b]));
            var order = new int[sorted.Length];
            for (var i = 0; i < sorted.Length; i++)
                order[sorted[i]] = i;
            return (sorted.Select(i => _terms[i]).ToList(), order);
        }
    }
}

/// <summary>The featurisation part of <see cref="BaselineOptions"/>, saved with the model.</summary>
internal sealed record FeaturizerSettings(int WordNgrams, (int Min, int Max)? CharNgrams, bool KeepPunctuation, bool SublinearTf,
    int MinDocumentFrequency, bool LowerCase = true)
{
    public static FeaturizerSettings From(BaselineOptions options) =>
        new(options.WordNgrams, options.CharNgrams, options.KeepPunctuation, options.SublinearTf, options.MinDocumentFrequency);

    // BERT's basic tokenizer with the uncased settings; no token is special here.
    public BasicTokenizer CreateTokenizer() =>
        new(new BertTokenizerOptions { LowerCase = LowerCase }, new HashSet<string>(StringComparer.Ordinal));
}
