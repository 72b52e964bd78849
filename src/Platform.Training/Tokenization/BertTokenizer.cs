using System.Text.Json;

namespace Platform.Training.Tokenization;

/// <summary>A WordPiece tokenizer that gives the same ids as Hugging Face's BertTokenizer.</summary>
/// <remarks>Thread-safe: the scratch buffers are per thread.</remarks>
public sealed class BertTokenizer
{
    private readonly BasicTokenizer _basic;
    private readonly WordPieceTokenizer _wordPiece;

    public BertTokenizer(WordPieceVocabulary vocabulary, BertTokenizerOptions? options = null)
    {
        Vocabulary = vocabulary;
        Options = options ?? new BertTokenizerOptions();
        UnknownId = RequireToken(Options.UnknownToken);
        ClassifierId = RequireToken(Options.ClassifierToken);
        SeparatorId = RequireToken(Options.SeparatorToken);
        PaddingId = RequireToken(Options.PaddingToken);
        var special = new HashSet<string>(StringComparer.Ordinal)
        {
            Options.UnknownToken, Options.ClassifierToken, Options.SeparatorToken, Options.PaddingToken, Options.MaskToken,
        };
        _basic = new BasicTokenizer(Options, special);
        _wordPiece = new WordPieceTokenizer(vocabulary, UnknownId, Options.MaxInputCharsPerWord);
    }

    public WordPieceVocabulary Vocabulary { get; }
    public BertTokenizerOptions Options { get; }
    public int UnknownId { get; }
    public int ClassifierId { get; }
    public int SeparatorId { get; }
    public int PaddingId { get; }

    /// <summary>Loads vocab.txt from a model folder, honouring tokenizer_config.json's casing when it is there.</summary>
    public static BertTokenizer FromFolder(string folder)
    {
        var vocabulary = WordPieceVocabulary.Load(Path.Combine(folder, "vocab.txt"));
        return new BertTokenizer(vocabulary, ReadOptions(Path.Combine(folder, "tokenizer_config.json")));
    }

    public IReadOnlyList<string> BasicTokenize(string text)
    {
        var work = TokenizerWorkspace.Current;
        _basic.Split(text, work);
        var words = new string[work.TokenCount];
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = work.Token(i).ToString();
        }

        return words;
    }

    public IReadOnlyList<string> Tokenize(string text) =>
        TokenizeToIds(text).Select(Vocabulary.GetToken).ToArray();

    public int[] TokenizeToIds(string text) => [.. TokenizeCore(text)];

    /// <summary>[CLS] text [SEP] (text pair [SEP]) truncated to <paramref name="maxLength"/>, padded to it when asked.</summary>
    public BertEncoding Encode(string text, string? textPair = null, int maxLength = 512, bool padToMaxLength = true)
    {
        var first = TokenizeToIds(text);
        var second = textPair is null ? null : TokenizeToIds(textPair);
        var (firstLength, secondLength) = Truncate(first.Length, second?.Length, maxLength);
        var length = 2 + firstLength + (second is null ? 0 : secondLength + 1);
        var sequenceLength = padToMaxLength ? maxLength : length;
        var encoding = new BertEncoding(new long[sequenceLength], new long[sequenceLength], new long[sequenceLength]);
        Write(first.AsSpan(0, firstLength), second is null ? null : second.AsSpan(0, secondLength).ToArray(), encoding.InputIds, encoding.AttentionMask, encoding.TokenTypeIds);
        return encoding;
    }

    /// <summary>Encodes texts into row-major [batch, sequence] arrays ready to become int64 tensors.</summary>
    public EncodedBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, PaddingStrategy padding = PaddingStrategy.MaxLength)
    {
        var rows = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            rows[i] = TokenizeToIds(texts[i]);
        }

        return BuildBatch(rows, maxLength, padding);
    }

    /// <summary>Adds [CLS]/[SEP], truncates and pads already tokenized rows (see <see cref="TokenizeToIds"/>).</summary>
    /// <remarks>Training tokenizes a dataset once and builds every batch from the ids.</remarks>
    public EncodedBatch BuildBatch(IReadOnlyList<int[]> tokenIds, int maxLength, PaddingStrategy padding = PaddingStrategy.MaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var longest = 0;
        foreach (var row in tokenIds)
        {
            longest = Math.Max(longest, Math.Min(row.Length, maxLength - 2) + 2);
        }

        var sequenceLength = padding == PaddingStrategy.MaxLength ? maxLength : longest;
        var batch = new EncodedBatch(tokenIds.Count, sequenceLength);
        for (var i = 0; i < tokenIds.Count; i++)
        {
            var row = tokenIds[i];
            var offset = i * sequenceLength;
            Write(row.AsSpan(0, Math.Min(row.Length, maxLength - 2)), null,
                batch.InputIds.AsSpan(offset, sequenceLength),
                batch.AttentionMask.AsSpan(offset, sequenceLength),
                batch.TokenTypeIds.AsSpan(offset, sequenceLength));
        }

        return batch;
    }

    private List<int> TokenizeCore(string text)
    {
        var work = TokenizerWorkspace.Current;
        _basic.Split(text, work);
        var ids = work.Ids;
        ids.Clear();
        for (var i = 0; i < work.TokenCount; i++)
        {
            _wordPiece.Tokenize(work.Token(i), ids);
        }

        return ids;
    }

    private void Write(ReadOnlySpan<int> first, int[]? second, Span<long> inputIds, Span<long> mask, Span<long> typeIds)
    {
        inputIds.Fill(PaddingId);
        mask.Clear();
        typeIds.Clear();
        var position = 0;
        inputIds[position++] = ClassifierId;
        foreach (var id in first)
        {
            inputIds[position++] = id;
        }

        inputIds[position++] = SeparatorId;
        var firstEnd = position;
        if (second is not null)
        {
            foreach (var id in second)
            {
                inputIds[position++] = id;
            }

            inputIds[position++] = SeparatorId;
            typeIds[firstEnd..position].Fill(1);
        }

        mask[..position].Fill(1);
    }

    // Hugging Face's "longest_first": drop one token at a time from the longer side, the pair on ties.
    private static (int First, int Second) Truncate(int first, int? second, int maxLength)
    {
        var special = second is null ? 2 : 3;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, special);
        var budget = maxLength - special;
        var secondLength = second ?? 0;
        while (first + secondLength > budget)
        {
            if (second is null || first > secondLength)
            {
                first--;
            }
            else
            {
                secondLength--;
            }
        }

        return (first, secondLength);
    }

    private int RequireToken(string token) =>
        Vocabulary.TryGetId(token, out var id)
            ? id
            : throw new InvalidDataException($"the vocabulary has no '{token}' token");

    private static BertTokenizerOptions ReadOptions(string configPath)
    {
        var options = new BertTokenizerOptions();
        if (!File.Exists(configPath))
        {
            return options;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
        var root = document.RootElement;
        if (root.TryGetProperty("do_lower_case", out var lower) && lower.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            options = options with { LowerCase = lower.GetBoolean() };
        }

        if (root.TryGetProperty("strip_accents", out var strip) && strip.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            options = options with { StripAccents = strip.GetBoolean() };
        }

        if (root.TryGetProperty("tokenize_chinese_chars", out var chinese) && chinese.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            options = options with { TokenizeChineseChars = chinese.GetBoolean() };
        }

        return options;
    }
}
