using System.Security.Cryptography;
using System.Text;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>What a corpus upload left after ingestion: its documents' count, lengths and samples.</summary>
internal sealed record CorpusIngestion(int Documents, DatasetStats Stats, IReadOnlyList<string> Warnings, IReadOnlyList<DatasetSample> Samples);

/// <summary>
/// Reads unlabelled text for pre-training, a .txt with one document per line or a CSV's text column,
/// and writes it as normalised CSV with the one column "text". Empty, duplicate and over-long
/// documents are skipped and reported; text that is not UTF-8 stops everything with its line.
/// A line is never held beyond the longest document allowed, however long it is in the file.
/// </summary>
internal sealed class CorpusIngester(DatasetOptions options)
{
    private const int SampleTextLength = 300;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public CorpusIngestion IngestLines(Stream text, Stream normalized)
    {
        var collector = new Collector(options, normalized);
        var reader = new BoundedLineReader(text, options.MaxTextLength * 4);
        while (reader.Read() is { } line)
        {
            if (line.TooLong)
            {
                collector.OverLong.Add(line.Number);
                continue;
            }
            string document;
            try
            {
                document = StrictUtf8.GetString(line.Bytes.Span);
            }
            catch (DecoderFallbackException)
            {
                throw new IngestionException($"Line {line.Number} is not UTF-8 text. Save the file as UTF-8 and upload it again.");
            }
            collector.Add(document, line.Number);
        }
        return collector.Finish();
    }

    public CorpusIngestion IngestCsv(Stream csv, string? textColumn, Stream normalized)
    {
        var parser = new CsvParser(csv, CsvLimits.From(options));
        var header = parser.Read() ?? throw new IngestionException("The file is empty: the first line must be a header naming the columns.");
        var columns = TextIngester.ReadHeader(header);
        var wanted = (textColumn ?? TextIngester.DefaultTextColumn).Trim();
        var index = columns.FindIndex(c => string.Equals(c, wanted, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            throw new IngestionException($"The header has no column '{wanted}' to take the text from. Its columns are: {string.Join(", ", columns)}.");
        }
        var collector = new Collector(options, normalized);
        while (parser.Read() is { } record)
        {
            if (record.Fields.Length != columns.Count)
            {
                throw new IngestionException(
                    $"Line {record.Line}: expected {columns.Count} fields, as in the header, but found {record.Fields.Length}. " +
                    "Fields containing commas or line breaks must be in quotes.");
            }
            if (record.IsTruncated(index))
            {
                collector.OverLong.Add(record.Line);
                continue;
            }
            collector.Add(record.Fields[index], record.Line);
        }
        return collector.Finish();
    }

    private sealed class Collector(DatasetOptions options, Stream normalized)
    {
        private readonly SkippedRows _empty = new("empty line");
        private readonly SkippedRows _duplicates = new("duplicate document");
        private readonly HashSet<UInt128> _seen = [];
        private readonly List<int> _lengths = [];
        private readonly List<DatasetSample> _samples = [];
        private readonly CsvWriter _writer = CreateWriter(normalized);

        public SkippedRows OverLong { get; } = new($"document over {options.MaxTextLength} character");

        public void Add(string document, int line)
        {
            document = document.Trim();
            if (document.Length == 0)
            {
                _empty.Add(line);
                return;
            }
            if (document.Length > options.MaxTextLength)
            {
                OverLong.Add(line);
                return;
            }
            if (!_seen.Add(Fingerprint(document)))
            {
                _duplicates.Add(line);
                return;
            }
            if (_lengths.Count == options.MaxRows)
            {
                throw new IngestionException($"The file has more than {options.MaxRows:N0} documents, the most one dataset may hold.");
            }
            if (_samples.Count < options.SampleCount)
            {
                var shown = document.Length > SampleTextLength ? document[..SampleTextLength] + "…" : document;
                _samples.Add(new DatasetSample(_lengths.Count, "", shown, null));
            }
            _lengths.Add(document.Length);
            _writer.WriteRecord(document);
        }

        public CorpusIngestion Finish()
        {
            _writer.Dispose();
            var warnings = new[] { _empty.Describe(), _duplicates.Describe(), OverLong.Describe() }.OfType<string>().ToList();
            return new CorpusIngestion(_lengths.Count, DatasetStats.Of(_lengths), warnings, _samples);
        }

        private static CsvWriter CreateWriter(Stream normalized)
        {
            var writer = new CsvWriter(normalized);
            writer.WriteRecord(TextIngester.DefaultTextColumn);
            return writer;
        }

        private static UInt128 Fingerprint(string text)
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
            return new UInt128(BitConverter.ToUInt64(hash), BitConverter.ToUInt64(hash[8..]));
        }
    }
}

/// <summary>
/// Lines of a byte stream (LF or CRLF; a UTF-8 BOM skipped), each at most <paramref name="maxBytes"/>
/// long: the rest of a longer line is read past without being kept, so one endless line costs no memory.
/// </summary>
internal sealed class BoundedLineReader(Stream stream, int maxBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _line = new();
    private int _length;
    private int _position;
    private int _number;
    private bool _started;

    public readonly record struct Line(int Number, ReadOnlyMemory<byte> Bytes, bool TooLong);

    public Line? Read()
    {
        if (!Fill())
        {
            return null;
        }
        if (!_started)
        {
            _started = true;
            if (_length - _position >= 3 && _buffer[_position] == 0xEF && _buffer[_position + 1] == 0xBB && _buffer[_position + 2] == 0xBF)
            {
                _position += 3;
            }
        }
        _number++;
        _line.SetLength(0);
        var tooLong = false;
        while (Fill())
        {
            var span = _buffer.AsSpan(_position, _length - _position);
            var end = span.IndexOf((byte)'\n');
            var piece = end < 0 ? span : span[..end];
            if (!tooLong && _line.Length + piece.Length <= maxBytes)
            {
                _line.Write(piece);
            }
            else
            {
                tooLong = true;
            }
            _position += end < 0 ? span.Length : end + 1;
            if (end >= 0)
            {
                break;
            }
        }
        var bytes = _line.GetBuffer().AsMemory(0, (int)_line.Length);
        if (!bytes.IsEmpty && bytes.Span[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }
        return new Line(_number, bytes, tooLong);
    }

    private bool Fill()
    {
        if (_position < _length)
        {
            return true;
        }
        _length = stream.Read(_buffer, 0, _buffer.Length);
        _position = 0;
        return _length > 0;
    }
}
