using System.Buffers;
using System.Text;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// RFC 4180 reader working on bytes: the structural characters (comma, quote, CR, LF) are ASCII and
/// never occur inside a UTF-8 multi-byte sequence, so fields are cut first and decoded strictly
/// afterwards, which lets an encoding error name its line. A UTF-8 BOM is skipped; UTF-16 is refused.
/// Memory is bounded by <see cref="CsvLimits"/> while reading: a record with too many fields is refused
/// at the first field too many, and bytes past a field's or a record's limit are skipped, not kept.
/// </summary>
internal sealed class CsvParser(Stream stream, CsvLimits limits)
{
    private static readonly SearchValues<byte> QuotedStops = SearchValues.Create("\"\n\0"u8);
    private static readonly SearchValues<byte> UnquotedStops = SearchValues.Create(",\"\r\n\0"u8);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _field = new();
    private readonly List<string> _fields = [];
    private readonly List<int> _truncated = [];
    private int _length;
    private long _recordBytes;
    private bool _fieldTruncated;
    private int _position;
    private int _line = 1;
    private bool _started;

    /// <summary>The line the next record starts on.</summary>
    public int Line => _line;

    /// <summary>Reads the next record, or null at the end of the file.</summary>
    public CsvRecord? Read()
    {
        if (!_started)
        {
            SkipByteOrderMark();
            _started = true;
        }
        if (Peek() < 0)
        {
            return null;
        }
        var recordLine = _line;
        _fields.Clear();
        _truncated.Clear();
        _recordBytes = 0;
        while (true)
        {
            if (_fields.Count == limits.MaxFields)
            {
                throw new IngestionException(
                    $"Line {recordLine} has more than {limits.MaxFields:N0} fields, the most a row may have. Is the file really comma-separated CSV?");
            }
            var fieldLine = _line;
            _field.SetLength(0);
            _fieldTruncated = false;
            var terminator = Peek() == '"' ? ReadQuoted(fieldLine) : ReadUnquoted();
            if (_fieldTruncated)
            {
                _truncated.Add(_fields.Count);
            }
            _fields.Add(_fieldTruncated ? "" : Decode(fieldLine));
            if (terminator == ',')
            {
                Next();
                continue;
            }
            EndLine();
            return new CsvRecord(recordLine, [.. _fields], _truncated.Count == 0 ? [] : [.. _truncated]);
        }
    }

    /// <summary>Keeps <paramref name="bytes"/> in the current field unless that passes a limit; from then on the field is only read past.</summary>
    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (_fieldTruncated)
        {
            return;
        }
        if (_field.Length + bytes.Length > limits.MaxFieldBytes || _recordBytes + bytes.Length > limits.MaxRecordBytes)
        {
            // What was kept of this field is dropped too: a truncated field must not pass for a short one.
            _fieldTruncated = true;
            _recordBytes -= _field.Length;
            _field.SetLength(0);
            return;
        }
        _field.Write(bytes);
        _recordBytes += bytes.Length;
    }

    private int ReadQuoted(int fieldLine)
    {
        Next();
        while (true)
        {
            CopyUntil(QuotedStops);
            var c = Next();
            switch (c)
            {
                case < 0:
                    throw new IngestionException($"Line {fieldLine}: a quoted field starts here but its closing quote is missing.");
                case '"' when Peek() == '"':
                    Next();
                    Keep("\""u8);
                    break;
                case '"':
                    var after = Peek();
                    if (after is ',' or '\r' or '\n' or < 0)
                    {
                        return after;
                    }
                    throw new IngestionException(
                        $"Line {_line}: unexpected text after a closing quote. A quote inside a quoted field must be doubled (\"\").");
                case 0:
                    throw NulByte();
                default:
                    // Only a line feed stops the copy besides quotes and NUL.
                    _line++;
                    Keep("\n"u8);
                    break;
            }
        }
    }

    private int ReadUnquoted()
    {
        CopyUntil(UnquotedStops);
        var c = Peek();
        return c switch
        {
            '"' => throw new IngestionException(
                $"Line {_line}: a quote inside an unquoted field. Put the whole field in quotes and double the quote (\"\")."),
            0 => throw NulByte(),
            _ => c,
        };
    }

    /// <summary>Copies bytes into the field up to (not including) the next stop byte or the end of input.</summary>
    private void CopyUntil(SearchValues<byte> stops)
    {
        while (Peek() >= 0)
        {
            var available = _buffer.AsSpan(_position, _length - _position);
            var stop = available.IndexOfAny(stops);
            var run = stop < 0 ? available : available[..stop];
            Keep(run);
            _position += run.Length;
            if (stop >= 0)
            {
                return;
            }
        }
    }

    private string Decode(int fieldLine)
    {
        var bytes = _field.GetBuffer();
        var count = (int)_field.Length;
        try
        {
            return StrictUtf8.GetString(bytes, 0, count);
        }
        catch (DecoderFallbackException ex)
        {
            var line = fieldLine + bytes.AsSpan(0, Math.Clamp(ex.Index, 0, count)).Count((byte)'\n');
            throw new IngestionException($"Line {line}: the text is not valid UTF-8. Save the file as UTF-8 (\"CSV UTF-8\" in Excel) and upload it again.");
        }
    }

    private IngestionException NulByte() =>
        new($"Line {_line} contains a NUL byte: this is not UTF-8 text (a UTF-16 or binary file?). Save the file as UTF-8 CSV.");

    private void EndLine()
    {
        var c = Peek();
        if (c == '\r')
        {
            Next();
            if (Peek() == '\n')
            {
                Next();
            }
            _line++;
        }
        else if (c == '\n')
        {
            Next();
            _line++;
        }
    }

    private void SkipByteOrderMark()
    {
        Fill(3);
        var head = _buffer.AsSpan(0, _length);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            _position = 3;
        }
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            throw new IngestionException("The file is UTF-16 encoded. Save it as UTF-8 (\"CSV UTF-8\" in Excel) and upload it again.");
        }
    }

    private void Fill(int atLeast)
    {
        while (_length < atLeast)
        {
            var read = stream.Read(_buffer, _length, _buffer.Length - _length);
            if (read == 0)
            {
                return;
            }
            _length += read;
        }
    }

    private int Peek()
    {
        if (_position >= _length)
        {
            _position = 0;
            _length = 0;
            Fill(1);
            if (_length == 0)
            {
                return -1;
            }
        }
        return _buffer[_position];
    }

    private int Next()
    {
        var c = Peek();
        if (c >= 0)
        {
            _position++;
        }
        return c;
    }
}
