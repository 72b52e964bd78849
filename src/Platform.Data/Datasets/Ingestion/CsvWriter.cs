using System.Text;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>Writes RFC 4180 CSV: UTF-8 without BOM, LF line ends, fields quoted only when needed.</summary>
internal sealed class CsvWriter(Stream output) : IDisposable
{
    private readonly StreamWriter _writer = new(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };

    public void WriteRecord(params string[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                _writer.Write(',');
            }
            var field = fields[i];
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                _writer.Write('"');
                _writer.Write(field.Replace("\"", "\"\"", StringComparison.Ordinal));
                _writer.Write('"');
            }
            else
            {
                _writer.Write(field);
            }
        }
        _writer.WriteLine();
    }

    public void Dispose() => _writer.Dispose();
}
