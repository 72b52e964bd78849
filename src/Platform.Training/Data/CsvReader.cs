using System.Text;

namespace Platform.Training.Data;

/// <summary>An RFC 4180 CSV reader: quoted fields may hold commas, newlines and doubled quotes.</summary>
public sealed class CsvReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly StringBuilder _field = new();
    private int _line = 1;

    public CsvReader(TextReader reader) => _reader = reader;

    /// <summary>The line a record starts on, for error messages.</summary>
    public int RecordLine { get; private set; }

    /// <summary>UTF-8 with or without BOM; invalid bytes are an error rather than silent replacement chars.</summary>
    public static CsvReader Open(string path) =>
        new(new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true));

    /// <summary>The next record, or null at the end. Blank lines are skipped.</summary>
    public string[]? ReadRecord()
    {
        while (true)
        {
            RecordLine = _line;
            var first = _reader.Peek();
            if (first < 0)
            {
                return null;
            }

            if (first is '\n' or '\r')
            {
                ReadNewline();
                continue;
            }

            return ReadFields();
        }
    }

    private string[] ReadFields()
    {
        var fields = new List<string>();
        while (true)
        {
            var endOfRecord = ReadField();
            fields.Add(_field.ToString());
            if (endOfRecord)
            {
                return fields.ToArray();
            }
        }
    }

    // Returns true when the field ended its record.
    private bool ReadField()
    {
        _field.Clear();
        if (_reader.Peek() == '"')
        {
            _reader.Read();
            ReadQuoted();
        }
        else
        {
            while (true)
            {
                var c = _reader.Peek();
                if (c is < 0 or ',' or '\n' or '\r')
                {
                    break;
                }

                _field.Append((char)_reader.Read());
            }
        }

        var next = _reader.Read();
        switch (next)
        {
            case < 0:
                return true;
            case ',':
                return false;
            case '\r':
                if (_reader.Peek() == '\n')
                {
                    _reader.Read();
                }

                _line++;
                return true;
            case '\n':
                _line++;
                return true;
            default:
                throw new InvalidDataException($"line {_line}: unexpected '{(char)next}' after a closing quote");
        }
    }

    private void ReadQuoted()
    {
        var startLine = _line;
        while (true)
        {
            var c = _reader.Read();
            if (c < 0)
            {
                throw new InvalidDataException($"line {startLine}: quoted field is never closed");
            }

            if (c == '"')
            {
                if (_reader.Peek() != '"')
                {
                    return;
                }

                _reader.Read();
            }
            else if (c == '\n')
            {
                _line++;
            }

            _field.Append((char)c);
        }
    }

    private void ReadNewline()
    {
        if (_reader.Read() == '\r' && _reader.Peek() == '\n')
        {
            _reader.Read();
        }

        _line++;
    }

    public void Dispose() => _reader.Dispose();
}
