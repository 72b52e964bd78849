using System.Text;
using Platform.Data.Datasets;
using Platform.Data.Datasets.Ingestion;

namespace Platform.Data.Tests.Datasets.Ingestion;

public class CsvParserTests
{
    private static readonly CsvLimits Defaults = CsvLimits.From(new DatasetOptions());

    private static List<CsvRecord> Parse(byte[] bytes, CsvLimits? limits = null)
    {
        var parser = new CsvParser(new MemoryStream(bytes), limits ?? Defaults);
        var records = new List<CsvRecord>();
        while (parser.Read() is { } record)
        {
            records.Add(record);
        }
        return records;
    }

    private static List<CsvRecord> Parse(string text, CsvLimits? limits = null) => Parse(Encoding.UTF8.GetBytes(text), limits);

    [Fact]
    public void Read_QuotedCommaNewlineAndEscapedQuote_KeepsFieldsWhole()
    {
        var records = Parse("text,label\n\"Hello, world\",greeting\n\"two\nlines\",multi\n\"she said \"\"hi\"\"\",quote\n");

        Assert.Equal(["Hello, world", "greeting"], records[1].Fields);
        Assert.Equal(["two\nlines", "multi"], records[2].Fields);
        Assert.Equal(["she said \"hi\"", "quote"], records[3].Fields);
    }

    [Fact]
    public void Read_QuotedNewline_CountsPhysicalLines()
    {
        var records = Parse("a,b\r\n\"x\r\ny\",1\r\nz,2\r\n");

        Assert.Equal([1, 2, 4], records.Select(r => r.Line));
    }

    [Fact]
    public void Read_Utf8Bom_IsSkipped()
    {
        var records = Parse([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("text,label\ncafé,x\n")]);

        Assert.Equal("text", records[0].Fields[0]);
        Assert.Equal("café", records[1].Fields[0]);
    }

    [Fact]
    public void Read_EmptyQuotedAndTrailingEmptyFields_AreEmptyStrings()
    {
        var records = Parse("a,b,c\n\"\",,\n");

        Assert.Equal(["", "", ""], records[1].Fields);
    }

    [Fact]
    public void Read_NoTrailingNewline_ReadsLastRecord()
    {
        Assert.Equal(["x", "y"], Parse("a,b\nx,y").Last().Fields);
    }

    [Fact]
    public void Read_UnterminatedQuote_ThrowsWithStartLine()
    {
        var ex = Assert.Throws<IngestionException>(() => Parse("text,label\nok,1\n\"never closed,2\nmore,3\n"));

        Assert.Contains("Line 3", ex.Message);
        Assert.Contains("closing quote", ex.Message);
    }

    [Fact]
    public void Read_TextAfterClosingQuote_ThrowsWithLine()
    {
        var ex = Assert.Throws<IngestionException>(() => Parse("text,label\n\"quoted\"tail,1\n"));

        Assert.Contains("Line 2", ex.Message);
    }

    [Fact]
    public void Read_QuoteInsideUnquotedField_ThrowsWithLine()
    {
        var ex = Assert.Throws<IngestionException>(() => Parse("text,label\nok,1\na 5\" screen,2\n"));

        Assert.Contains("Line 3", ex.Message);
    }

    [Fact]
    public void Read_InvalidUtf8_ThrowsWithLine()
    {
        // "caf\xE9" is Latin-1, not UTF-8.
        byte[] bytes = [.. Encoding.ASCII.GetBytes("text,label\nfine,1\ncaf"), 0xE9, .. Encoding.ASCII.GetBytes(",2\n")];

        var ex = Assert.Throws<IngestionException>(() => Parse(bytes));

        Assert.Contains("Line 3", ex.Message);
        Assert.Contains("UTF-8", ex.Message);
    }

    [Fact]
    public void Read_InvalidUtf8InsideMultilineField_NamesExactLine()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("text,label\n\"first\nsecond "), 0xFF, .. Encoding.ASCII.GetBytes("\",2\n")];

        var ex = Assert.Throws<IngestionException>(() => Parse(bytes));

        Assert.Contains("Line 3", ex.Message);
    }

    [Fact]
    public void Read_Utf16WithBom_ThrowsSayingUtf16()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("text,label\nhi,1\n")).ToArray();

        var ex = Assert.Throws<IngestionException>(() => Parse(bytes));

        Assert.Contains("UTF-16", ex.Message);
    }

    [Fact]
    public void Read_Utf16WithoutBom_ThrowsOnNulByte()
    {
        var ex = Assert.Throws<IngestionException>(() => Parse(Encoding.Unicode.GetBytes("text,label\nhi,1\n")));

        Assert.Contains("NUL", ex.Message);
        Assert.Contains("Line 1", ex.Message);
    }

    [Fact]
    public void Read_LargeInput_CrossesBufferBoundaries()
    {
        var sb = new StringBuilder("text,label\n");
        for (var i = 0; i < 20_000; i++)
        {
            sb.Append($"\"row, number {i}\nwith \"\"quotes\"\"\",label{i % 3}\n");
        }

        var records = Parse(sb.ToString());

        Assert.Equal(20_001, records.Count);
        Assert.Equal("row, number 19999\nwith \"quotes\"", records[^1].Fields[0]);
        Assert.Equal(1 + 19_999 * 2 + 1, records[^1].Line);
    }

    [Fact]
    public void Read_TooManyFields_ThrowsAtTheFirstFieldTooMany()
    {
        var ex = Assert.Throws<IngestionException>(() => Parse("a,b\n" + new string(',', 100_000) + "\n", new CsvLimits(10, 100, 1000)));

        Assert.Equal("Line 2 has more than 10 fields, the most a row may have. Is the file really comma-separated CSV?", ex.Message);
    }

    [Fact]
    public void Read_FieldOverItsLimit_KeepsNothingOfItAndMarksItTruncated()
    {
        var records = Parse("text,label\n" + new string('x', 5000) + ",pos\n\"" + new string('y', 5000) + "\",neg\nshort,pos\n", new CsvLimits(10, 100, 1000));

        Assert.Equal(["", "pos"], records[1].Fields);
        Assert.Equal([0], records[1].Truncated);
        Assert.Equal([0], records[2].Truncated);
        Assert.Equal(3, records[2].Line);
        Assert.Equal(["short", "pos"], records[3].Fields);
        Assert.Empty(records[3].Truncated);
    }

    [Fact]
    public void Read_RecordOverItsLimit_MarksTheFieldsPastIt()
    {
        var records = Parse("a,b,c\n" + new string('x', 90) + "," + new string('y', 90) + ",z\n", new CsvLimits(10, 100, 150));

        Assert.Equal([1], records[1].Truncated);
        Assert.Equal("z", records[1].Fields[2]);
    }
}
