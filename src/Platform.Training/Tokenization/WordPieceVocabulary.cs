namespace Platform.Training.Tokenization;

/// <summary>A BERT vocab.txt: one token per line, the id is the line number.</summary>
public sealed class WordPieceVocabulary
{
    private const string ContinuationPrefix = "##";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int> _continuations;

    public WordPieceVocabulary(IEnumerable<string> tokens)
    {
        _tokens = tokens.ToArray();
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        // Continuation pieces are keyed without "##" so a lookup slices the word instead of building "##piece".
        _continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < _tokens.Length; id++)
        {
            var token = _tokens[id];
            // A duplicated line keeps the last id, as the reference's dict assignment does.
            _ids[token] = id;
            MaxTokenLength = Math.Max(MaxTokenLength, token.Length);
            if (token.StartsWith(ContinuationPrefix, StringComparison.Ordinal) && token.Length > ContinuationPrefix.Length)
            {
                _continuations[token[ContinuationPrefix.Length..]] = id;
                MaxContinuationLength = Math.Max(MaxContinuationLength, token.Length - ContinuationPrefix.Length);
            }
        }

        Words = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Continuations = _continuations.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _tokens.Length;

    public IReadOnlyList<string> Tokens => _tokens;

    internal int MaxTokenLength { get; }
    internal int MaxContinuationLength { get; }
    internal Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Words { get; }
    internal Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Continuations { get; }

    public static WordPieceVocabulary Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"vocabulary file not found: {path}", path);
        }

        // File.ReadLines drops "\r" too; the reference keeps it, which only breaks such files.
        var tokens = File.ReadLines(path).ToList();
        if (tokens.Count > 0 && tokens[^1].Length == 0)
        {
            tokens.RemoveAt(tokens.Count - 1);
        }

        if (tokens.Count == 0)
        {
            throw new InvalidDataException($"vocabulary file is empty: {path}");
        }

        return new WordPieceVocabulary(tokens);
    }

    public void Save(string path) => File.WriteAllLines(path, _tokens);

    public bool TryGetId(ReadOnlySpan<char> token, out int id) => Words.TryGetValue(token, out id);

    public int GetId(string token) =>
        _ids.TryGetValue(token, out var id) ? id : throw new KeyNotFoundException($"token '{token}' is not in the vocabulary");

    public string GetToken(int id) => _tokens[id];
}
