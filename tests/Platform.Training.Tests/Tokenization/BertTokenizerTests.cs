using Platform.Training.Tests.Common;
using Platform.Training.Tokenization;

namespace Platform.Training.Tests.Tokenization;

// Expected outputs are Hugging Face's own test cases (tests/models/bert/test_tokenization_bert.py)
// and the examples of its documentation.
public sealed class BertTokenizerTests
{
    private static readonly string[] HfVocab =
    [
        "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest",
    ];

    private static BertTokenizer Create(BertTokenizerOptions? options = null, params string[] extra) =>
        new(new WordPieceVocabulary(HfVocab.Concat(extra)), options);

    [Fact]
    public void BasicTokenize_MixedCaseAndWhitespace_LowersAndSplitsPunctuation()
    {
        var words = Create().BasicTokenize(" \tHeLLo!how  \n Are yoU?  ");

        Assert.Equal(["hello", "!", "how", "are", "you", "?"], words);
    }

    [Fact]
    public void Tokenize_SpecialTokenInsideWord_KeptWhole()
    {
        // Hugging Face: tokenizer.tokenize("want[SEP]wanted [MASK]x") == ["want", "[SEP]", "want", "##ed", "[MASK]", "[UNK]"]
        var tokenizer = Create();

        Assert.Equal(["want", "[SEP]", "want", "##ed", "[MASK]", "[UNK]"], tokenizer.Tokenize("want[SEP]wanted [MASK]x"));
        // Special tokens match case-sensitively, as in Hugging Face: "[sep]" is punctuation and a word.
        Assert.Equal(["want", "[UNK]", "[UNK]", "[UNK]"], tokenizer.Tokenize("want[sep]"));
    }

    [Fact]
    public void BasicTokenize_AccentedUncased_StripsAccents()
    {
        var tokenizer = Create();

        Assert.Equal(["hallo", "!", "how", "are", "you", "?"], tokenizer.BasicTokenize(" \tHäLLo!how  \n Are yoU?  "));
        Assert.Equal(["hello"], tokenizer.BasicTokenize("H\u00E9llo"));
    }

    [Fact]
    public void BasicTokenize_LowerWithoutStripping_KeepsAccents()
    {
        var tokenizer = Create(new BertTokenizerOptions { LowerCase = true, StripAccents = false });

        Assert.Equal(["hällo", "!", "how", "are", "you", "?"], tokenizer.BasicTokenize(" \tHäLLo!how  \n Are yoU?  "));
        Assert.Equal(["h\u00E9llo"], tokenizer.BasicTokenize("H\u00E9llo"));
    }

    [Fact]
    public void BasicTokenize_Cased_KeepsCase()
    {
        var tokenizer = Create(new BertTokenizerOptions { LowerCase = false });

        Assert.Equal(["HeLLo", "!", "how", "Are", "yoU", "?"], tokenizer.BasicTokenize(" \tHeLLo!how  \n Are yoU?  "));
        Assert.Equal(["HäLLo", "!", "how", "Are", "yoU", "?"], tokenizer.BasicTokenize(" \tHäLLo!how  \n Are yoU?  "));
    }

    [Fact]
    public void BasicTokenize_CasedWithStripping_StripsAccentsOnly()
    {
        var tokenizer = Create(new BertTokenizerOptions { LowerCase = false, StripAccents = true });

        Assert.Equal(["HaLLo", "!", "how", "Are", "yoU", "?"], tokenizer.BasicTokenize(" \tHäLLo!how  \n Are yoU?  "));
    }

    [Fact]
    public void BasicTokenize_SpecialTokenInText_IsNotSplit()
    {
        var tokenizer = Create(new BertTokenizerOptions { LowerCase = false });

        Assert.Equal(["HeLLo", "!", "how", "Are", "yoU", "?", "[UNK]"], tokenizer.BasicTokenize(" \tHeLLo!how  \n Are yoU? [UNK]"));
    }

    [Fact]
    public void BasicTokenize_ChineseChars_SplitsEachChar()
    {
        Assert.Equal(["ah", "\u535A", "\u63A8", "zz"], Create().BasicTokenize("ah\u535A\u63A8zz"));
    }

    [Fact]
    public void BasicTokenize_ChineseSplittingOff_KeepsRun()
    {
        var tokenizer = Create(new BertTokenizerOptions { TokenizeChineseChars = false });

        Assert.Equal(["ah\u535A\u63A8zz"], tokenizer.BasicTokenize("ah\u535A\u63A8zz"));
    }

    [Fact]
    public void BasicTokenize_ControlAndFormatChars_AreRemovedWithoutSplitting()
    {
        var tokenizer = Create();

        Assert.Empty(tokenizer.BasicTokenize("\u00AD"));
        Assert.Equal(["ab", "cd"], tokenizer.BasicTokenize("a\u0000b\u0005 c\uFFFDd"));
    }

    [Fact]
    public void BasicTokenize_UnicodeWhitespaceAndPunctuation_Splits()
    {
        var words = Create().BasicTokenize("a\u00A0b\u3000c\u2028d \u00BFe\u2014f\u201Cg");

        Assert.Equal(["a", "b", "c", "d", "\u00BF", "e", "\u2014", "f", "\u201C", "g"], words);
    }

    [Fact]
    public void BasicTokenize_AsciiSymbolsOutsidePunctuationCategory_AreSplit()
    {
        // $, +, <, ^, ` and | are symbols (S*) in Unicode, yet BERT treats all non-alphanumeric ASCII as punctuation.
        Assert.Equal(["a", "$", "b", "+", "c", "^", "d", "`", "e", "|", "f"], Create().BasicTokenize("a$b+c^d`e|f"));
    }

    [Fact]
    public void BasicTokenize_HangulUncased_DecomposesToJamo()
    {
        // NFD decomposes Hangul syllables; the reference keeps the jamo since none is a mark.
        Assert.Equal(["\u1112\u1161\u11AB\u1100\u116E\u11A8"], Create().BasicTokenize("한국"));
    }

    [Fact]
    public void BasicTokenize_GreekFinalSigma_UsesFinalForm()
    {
        Assert.Equal(["\u03BF\u03B4\u03BF\u03C2", "\u03C3\u03B1"], Create().BasicTokenize("ΟΔΟΣ ΣΑ"));
    }

    [Fact]
    public void BasicTokenize_SymbolsAndEmoji_StayInWord()
    {
        Assert.Equal(["a\U0001F600b", "€5"], Create().BasicTokenize("a\U0001F600b €5"));
    }

    [Fact]
    public void Tokenize_HfWordPieceExample_SplitsIntoPieces()
    {
        var tokenizer = Create();

        Assert.Equal(["un", "##want", "##ed", "runn", "##ing"], tokenizer.Tokenize("unwanted running"));
        Assert.Equal(["[UNK]", "runn", "##ing"], tokenizer.Tokenize("unwantedX running"));
        Assert.Empty(tokenizer.Tokenize(""));
    }

    [Fact]
    public void TokenizeToIds_HfFullTokenizerExample_ReturnsIds()
    {
        var tokenizer = Create();

        Assert.Equal(["un", "##want", "##ed", ",", "runn", "##ing"], tokenizer.Tokenize("UNwant\u00E9d,running"));
        Assert.Equal([9, 6, 7, 12, 10, 11], tokenizer.TokenizeToIds("UNwant\u00E9d,running"));
    }

    [Fact]
    public void Tokenize_Unaffable_UsesContinuationPieces()
    {
        var tokenizer = Create(null, "aff", "##aff", "##able", "able");

        Assert.Equal(["un", "##aff", "##able"], tokenizer.Tokenize("unaffable"));
    }

    [Fact]
    public void Tokenize_SoftHyphenAndUnknownWords_MatchesHfCleanText()
    {
        var tokenizer = Create();

        Assert.Equal(["[UNK]"], tokenizer.Tokenize("Test"));
        Assert.Empty(tokenizer.Tokenize("\u00AD"));
    }

    [Fact]
    public void Tokenize_WordOverHundredChars_IsUnknown()
    {
        var tokenizer = Create(null, "a", "##a");

        Assert.Equal(100, tokenizer.Tokenize(new string('a', 100)).Count);
        Assert.Equal(["[UNK]"], tokenizer.Tokenize(new string('a', 101)));
    }

    [Fact]
    public void Tokenize_WordOfSupplementaryChars_CountsCodePoints()
    {
        var emoji = "\U0001F600";
        var tokenizer = Create(null, emoji, "##" + emoji);

        Assert.Equal(100, tokenizer.Tokenize(string.Concat(Enumerable.Repeat(emoji, 100))).Count);
        Assert.Equal(["[UNK]"], tokenizer.Tokenize(string.Concat(Enumerable.Repeat(emoji, 101))));
    }

    [Fact]
    public void Encode_SingleText_AddsSpecialTokensMaskAndPadding()
    {
        var encoding = Create().Encode("unwanted running", maxLength: 10);

        Assert.Equal([1L, 9, 6, 7, 10, 11, 2, 3, 3, 3], encoding.InputIds);
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 0, 0, 0], encoding.AttentionMask);
        Assert.All(encoding.TokenTypeIds, t => Assert.Equal(0L, t));
    }

    [Fact]
    public void Encode_TextPair_SetsSegmentIds()
    {
        var encoding = Create().Encode("want", "low", maxLength: 8);

        Assert.Equal([1L, 5, 2, 13, 2, 3, 3, 3], encoding.InputIds);
        Assert.Equal([0L, 0, 0, 1, 1, 0, 0, 0], encoding.TokenTypeIds);
        Assert.Equal([1L, 1, 1, 1, 1, 0, 0, 0], encoding.AttentionMask);
    }

    [Fact]
    public void Encode_LongPair_TruncatesLongestFirst()
    {
        var encoding = Create().Encode("want want want want", "low", maxLength: 7, padToMaxLength: false);

        Assert.Equal([1L, 5, 5, 5, 2, 13, 2], encoding.InputIds);
    }

    [Fact]
    public void EncodeBatch_LongText_TruncatesAndKeepsSeparator()
    {
        var batch = Create().EncodeBatch(["want want want want", "low"], maxLength: 4);

        Assert.Equal(2, batch.BatchSize);
        Assert.Equal(4, batch.SequenceLength);
        Assert.Equal([1L, 5, 5, 2, 1, 13, 2, 3], batch.InputIds);
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 0], batch.AttentionMask);
    }

    [Fact]
    public void EncodeBatch_LongestPadding_PadsToLongestRow()
    {
        var batch = Create().EncodeBatch(["want", "want low"], maxLength: 128, PaddingStrategy.Longest);

        Assert.Equal(4, batch.SequenceLength);
        Assert.Equal([1L, 5, 2, 3, 1, 5, 13, 2], batch.InputIds);
    }

    [Fact]
    public void FromFolder_CasedTokenizerConfig_KeepsCase()
    {
        using var dir = new TestDirectory();
        File.WriteAllLines(dir.File("vocab.txt"), HfVocab.Append("Want"));
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"do_lower_case": false}""");

        var tokenizer = BertTokenizer.FromFolder(dir.Path);

        Assert.Equal(["Want", "want"], tokenizer.Tokenize("Want want"));
    }

    [Fact]
    public void FromFolder_VocabWithoutUnknownToken_Throws()
    {
        using var dir = new TestDirectory();
        File.WriteAllLines(dir.File("vocab.txt"), ["[CLS]", "[SEP]", "[PAD]", "a"]);

        var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromFolder(dir.Path));
        Assert.Contains("[UNK]", error.Message);
    }

    [Fact]
    public void Load_VocabFile_IdsAreLineNumbers()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("vocab.txt"), "[PAD]\r\n[UNK]\nhello\n");

        var vocabulary = WordPieceVocabulary.Load(dir.File("vocab.txt"));

        Assert.Equal(3, vocabulary.Count);
        Assert.Equal(2, vocabulary.GetId("hello"));
        Assert.Equal("[UNK]", vocabulary.GetToken(1));
    }

    [Fact]
    public void Tokenize_ConcurrentCalls_GiveSameIds()
    {
        var tokenizer = Create();
        var expected = tokenizer.TokenizeToIds("UNwant\u00E9d,running low");

        Parallel.For(0, 64, _ => Assert.Equal(expected, tokenizer.TokenizeToIds("UNwant\u00E9d,running low")));
    }
}
