using System.Text;
using Platform.Domain.Common;

namespace Platform.Domain.Tests.Common;

/// <summary>The CSV cells every export writes (finance usage, batch-prediction results): spreadsheet formulas neutralised, then RFC 4180 quoting.</summary>
public sealed class CsvCellsTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")")]
    [InlineData("+1+2", "'+1+2")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("\rcmd", "'\rcmd")]
    [InlineData("plain name", "plain name")]
    [InlineData("a=b", "a=b")]
    [InlineData("", "")]
    public void Neutralise_LeadingFormulaCharacter_IsPrefixed(string value, string expected)
    {
        Assert.Equal(expected, CsvCells.Neutralise(value));
    }

    [Theory]
    [InlineData("a;=1+1", "\"a;=1+1\"")]
    [InlineData("x; @SUM(A1)", "\"x; @SUM(A1)\"")]
    [InlineData("a,=1+1", "\"a,=1+1\"")]
    public void AppendRecord_SeparatorOfAnyLocaleBeforeAFormula_IsQuoted(string value, string expected)
    {
        // Finding of issue 11: in a semicolon-separated locale "a;=1+1" opened as two cells, the second a formula.
        var output = new StringBuilder();
        CsvCells.AppendRecord(output, [value]);
        Assert.Equal(expected + "\r\n", output.ToString());
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("cats/a.png", "cats/a.png")]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("-1,2", "\"'-1,2\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    public void Cell_CustomerText_NeutralisedThenQuoted(string? value, string expected)
    {
        Assert.Equal(expected, CsvCells.Cell(value));
    }
}
