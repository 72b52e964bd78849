namespace Platform.Training.Tokenization;

/// <summary>The BertTokenizer settings Hugging Face stores in tokenizer_config.json.</summary>
public sealed record BertTokenizerOptions
{
    /// <summary>Uncased checkpoints (bert-base-uncased) lower-case; cased ones do not.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>Null follows <see cref="LowerCase"/>, as the reference does.</summary>
    public bool? StripAccents { get; init; }

    public bool TokenizeChineseChars { get; init; } = true;

    public int MaxInputCharsPerWord { get; init; } = 100;

    public string UnknownToken { get; init; } = "[UNK]";
    public string ClassifierToken { get; init; } = "[CLS]";
    public string SeparatorToken { get; init; } = "[SEP]";
    public string PaddingToken { get; init; } = "[PAD]";
    public string MaskToken { get; init; } = "[MASK]";

    internal bool ShouldStripAccents => StripAccents ?? LowerCase;
}
