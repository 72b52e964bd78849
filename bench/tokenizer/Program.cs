using System.Diagnostics;
using Platform.Training.Tokenization;

// Tokens per second of BertTokenizer on real sentences (Debian fortunes), with a WordPiece vocabulary
// derived from the same corpus because no Hugging Face vocabulary can be downloaded here.
// usage: TokenizerBench <sentences.txt> [count=100000] [vocab-size=30000] [runs=5]
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: TokenizerBench <sentences.txt> [count] [vocab-size] [runs]");
    return 2;
}

var count = args.Length > 1 ? int.Parse(args[1]) : 100_000;
var vocabSize = args.Length > 2 ? int.Parse(args[2]) : 30_000;
var runs = args.Length > 3 ? int.Parse(args[3]) : 5;
var source = File.ReadAllLines(args[0]).Where(l => l.Length > 0).ToArray();
var sentences = Enumerable.Range(0, count).Select(i => source[i % source.Length]).ToArray();
var vocabulary = BuildVocabulary(source, vocabSize);
var tokenizer = new BertTokenizer(vocabulary);
Console.WriteLine($"{sentences.Length} sentences ({source.Length} distinct), {sentences.Sum(s => s.Length)} chars, vocabulary {vocabulary.Count}");

Measure("TokenizeToIds", () => sentences.Sum(s => (long)tokenizer.TokenizeToIds(s).Length));
Measure("EncodeBatch(32, max 128)", () =>
{
    long tokens = 0;
    for (var i = 0; i < sentences.Length; i += 32)
    {
        var batch = tokenizer.EncodeBatch(sentences[i..Math.Min(sentences.Length, i + 32)], 128, PaddingStrategy.Longest);
        tokens += batch.AttentionMask.Sum();
    }

    return tokens;
});
return 0;

void Measure(string name, Func<long> body)
{
    body();
    var best = double.MaxValue;
    long tokens = 0;
    for (var run = 0; run < runs; run++)
    {
        var clock = Stopwatch.StartNew();
        tokens = body();
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }

    Console.WriteLine($"{name}: {tokens} tokens in {best:F3} s (best of {runs}) = {tokens / best:N0} tokens/s, {sentences.Length / best:N0} sentences/s");
}

// Whole words by frequency, every char and its ## continuation, and frequent word endings as ## pieces.
static WordPieceVocabulary BuildVocabulary(string[] corpus, int size)
{
    var basic = new BertTokenizer(new WordPieceVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]));
    var words = new Dictionary<string, int>(StringComparer.Ordinal);
    foreach (var line in corpus)
    {
        foreach (var word in basic.BasicTokenize(line))
        {
            words[word] = words.GetValueOrDefault(word) + 1;
        }
    }

    var tokens = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
    var seen = new HashSet<string>(tokens, StringComparer.Ordinal);
    void Add(string token)
    {
        if (tokens.Count < size && seen.Add(token))
        {
            tokens.Add(token);
        }
    }

    foreach (var c in words.Keys.SelectMany(w => w.EnumerateRunes()).Select(r => r.ToString()).Distinct().Order(StringComparer.Ordinal))
    {
        Add(c);
        Add("##" + c);
    }

    var suffixes = words.Where(w => w.Key.Length > 4)
        .GroupBy(w => w.Key[^3..]).Select(g => (Piece: "##" + g.Key, Count: g.Sum(w => w.Value)));
    var ranked = words.Select(w => (Piece: w.Key, Count: w.Value)).Concat(suffixes).OrderByDescending(p => p.Count).ThenBy(p => p.Piece, StringComparer.Ordinal);
    foreach (var (piece, _) in ranked)
    {
        Add(piece);
    }

    return new WordPieceVocabulary(tokens);
}
