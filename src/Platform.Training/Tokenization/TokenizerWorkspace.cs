using System.Text;

namespace Platform.Training.Tokenization;

/// <summary>Reusable buffers for one tokenizer call; one per thread.</summary>
internal sealed class TokenizerWorkspace
{
    [ThreadStatic]
    private static TokenizerWorkspace? _current;

    private char[] _raw = new char[64];
    private int _rawLength;
    private char[] _buffer = new char[256];
    private int _length;
    private (int Start, int Length)[] _tokens = new (int, int)[64];
    private int _tokenCount;

    public static TokenizerWorkspace Current => _current ??= new TokenizerWorkspace();

    public List<int> Ids { get; } = new(128);

    public char[] Buffer => _buffer;
    public int Length => _length;
    public int RawLength => _rawLength;
    public ReadOnlySpan<char> RawWord => _raw.AsSpan(0, _rawLength);
    public int TokenCount => _tokenCount;

    public ReadOnlySpan<char> Token(int index)
    {
        var (start, length) = _tokens[index];
        return _buffer.AsSpan(start, length);
    }

    public void Reset(int textLength)
    {
        _rawLength = 0;
        _length = 0;
        _tokenCount = 0;
        if (_buffer.Length < textLength)
        {
            _buffer = new char[textLength * 2];
        }
    }

    public void AppendRaw(ReadOnlySpan<char> chars)
    {
        if (_rawLength + chars.Length > _raw.Length)
        {
            Array.Resize(ref _raw, Math.Max(_raw.Length * 2, _rawLength + chars.Length));
        }

        chars.CopyTo(_raw.AsSpan(_rawLength));
        _rawLength += chars.Length;
    }

    public void ClearRaw() => _rawLength = 0;

    public void Append(char c)
    {
        if (_length == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        _buffer[_length++] = c;
    }

    public void Append(Rune rune)
    {
        if (_length + 2 > _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        _length += rune.EncodeToUtf16(_buffer.AsSpan(_length));
    }

    public void Append(ReadOnlySpan<char> chars)
    {
        if (_length + chars.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + chars.Length));
        }

        chars.CopyTo(_buffer.AsSpan(_length));
        _length += chars.Length;
    }

    public void AddToken(int start, int length)
    {
        if (_tokenCount == _tokens.Length)
        {
            Array.Resize(ref _tokens, _tokens.Length * 2);
        }

        _tokens[_tokenCount++] = (start, length);
    }
}
