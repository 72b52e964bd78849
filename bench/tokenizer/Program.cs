using System.Diagnostics;
using System.Text;
using Platform.Training.Tokenization;
using LibraryBertOptions = Microsoft.ML.Tokenizers.BertOptions;
using LibraryBertTokenizer = Microsoft.ML.Tokenizers.BertTokenizer;

// Tokens per second of BertTokenizer on real sentences (Debian fortunes), with a WordPiece vocabulary
// derived from the same corpus because no Hugging Face vocabulary can be downloaded here; side by side
// with Microsoft.ML.Tokenizers' BertTokenizer on the same vocabulary (docs/decisions/0021).
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
// Hugging Face strips accents whenever it lower-cases; the library must be told.
var library = LibraryBertTokenizer.Create(
    new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", vocabulary.Tokens) + "\n")),
    new LibraryBertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
Console.WriteLine($"{sentences.Length} sentences ({source.Length} distinct), {sentences.Sum(s => s.Length)} chars, vocabulary {vocabulary.Count}");

var differing = source.Where(s => !tokenizer.TokenizeToIds(s).SequenceEqual(library.EncodeToIds(s, addSpecialTokens: false))).ToArray();
Console.WriteLine($"ids differ on {differing.Length} of {source.Length} distinct sentences ({100.0 * differing.Length / source.Length:F2} %); first ones:");
foreach (var s in differing.Take(5))
{
    Console.WriteLine($"  {System.Text.Json.JsonSerializer.Serialize(s)}");
}

// Interleaved, best of each: on a shared machine both sides see the same background load.
var (own, lib) = MeasurePair(
    () => sentences.Sum(s => (long)tokenizer.TokenizeToIds(s).Length),
    () => sentences.Sum(s => (long)library.EncodeToIds(s, addSpecialTokens: false).Count));
Report("own TokenizeToIds", own);
Report("Microsoft.ML.Tokenizers EncodeToIds", lib);
Console.WriteLine($"same sentences, library time / own time: {lib.Seconds / own.Seconds:F2}x");
(own, lib) = MeasurePair(
    () => sentences.Sum(s => (long)tokenizer.Encode(s, maxLength: 128, padToMaxLength: false).InputIds.Length),
    () => sentences.Sum(s => (long)library.EncodeToIds(s, 128, addSpecialTokens: true, out _, out _).Count));
Report("own Encode([CLS] text [SEP], max 128)", own);
Report("Microsoft.ML.Tokenizers EncodeToIds(max 128, special tokens)", lib);
Console.WriteLine($"same sentences, library time / own time: {lib.Seconds / own.Seconds:F2}x");
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

(Result Own, Result Library) MeasurePair(Func<long> first, Func<long> second)
{
    first();
    second();
    var a = new Result(0, double.MaxValue);
    var b = new Result(0, double.MaxValue);
    for (var run = 0; run < runs; run++)
    {
        a = Faster(a, Time(first));
        b = Faster(b, Time(second));
    }

    return (a, b);
}

static Result Time(Func<long> body)
{
    var clock = Stopwatch.StartNew();
    var tokens = body();
    return new Result(tokens, clock.Elapsed.TotalSeconds);
}

static Result Faster(Result a, Result b) => a.Seconds <= b.Seconds ? a : b;

void Report(string name, Result result) =>
    Console.WriteLine($"{name}: {result.Tokens} tokens in {result.Seconds:F3} s (best of {runs}) = {result.Tokens / result.Seconds:N0} tokens/s, {sentences.Length / result.Seconds:N0} sentences/s");

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

internal readonly record struct Result(long Tokens, double Seconds);
