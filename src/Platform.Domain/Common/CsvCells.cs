using System.Text;

namespace Platform.Domain.Common;

/// <summary>
/// CSV that is safe to open in a spreadsheet. A cell starting with = + - @ tab or CR is a formula to
/// Excel, LibreOffice and Sheets (CSV injection, OWASP), and job or tenant names are typed by
/// customers; such cells get a leading apostrophe, which spreadsheets show as text and do not
/// evaluate. Then RFC 4180 quoting: cells with a comma, quote, CR or LF are quoted, quotes doubled.
/// A semicolon is quoted too: where the list separator is ";" (German, French... locales) a
/// spreadsheet splits cells at it, and "a;=1+1" would become a cell "=1+1", a formula.
/// Every CSV the platform writes from customers' text (finance exports, batch-prediction results) writes
/// its cells here.
/// </summary>
public static class CsvCells
{
    public static string Neutralise(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        return value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
    }

    public static string Quote(string value) =>
        value.IndexOfAny([',', ';', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    /// <summary>One cell: neutralised, then quoted where needed.</summary>
    public static string Cell(string? value) => Quote(Neutralise(value));

    /// <summary>One CSV record (CRLF-terminated); every cell neutralised, then quoted where needed.</summary>
    public static void AppendRecord(StringBuilder output, IEnumerable<string?> cells)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
                output.Append(',');
            output.Append(Cell(cell));
            first = false;
        }
        output.Append("\r\n");
    }
}
