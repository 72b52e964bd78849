using System.Text;
using Platform.Training.Data;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.Data;

public sealed class TextDatasetTests
{
    [Fact]
    public void LoadCsv_QuotedCommasNewlinesAndQuotes_ParsesFields()
    {
        using var dir = new TestDirectory();
        var path = dir.File("d.csv");
        File.WriteAllText(path, "text,label\r\n\"hello, world\",pos\r\n\"line one\nline two\",neg\n\"she said \"\"hi\"\"\",pos\nplain,neg");

        var rows = TextDataset.LoadCsv(path);

        Assert.Equal(["hello, world", "line one\nline two", "she said \"hi\"", "plain"], rows.Select(r => r.Text));
        Assert.Equal(["pos", "neg", "pos", "neg"], rows.Select(r => r.Label));
        Assert.Equal([2, 3, 5, 6], rows.Select(r => r.Line));
    }

    [Fact]
    public void LoadCsv_Utf8Bom_ReadsHeader()
    {
        using var dir = new TestDirectory();
        var path = dir.File("bom.csv");
        File.WriteAllText(path, "text,label\nüber,a\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var rows = TextDataset.LoadCsv(path);

        Assert.Equal("über", Assert.Single(rows).Text);
    }

    [Fact]
    public void LoadCsv_CustomColumnsInAnyOrder_UsesNamedColumns()
    {
        using var dir = new TestDirectory();
        var path = dir.File("c.csv");
        File.WriteAllText(path, "id,category,body\n1,sport,goal\n2,news,vote\n\n");

        var rows = TextDataset.LoadCsv(path, new TextColumns(Text: "body", Label: "category"));

        Assert.Equal(["goal", "vote"], rows.Select(r => r.Text));
        Assert.Equal(["sport", "news"], rows.Select(r => r.Label));
    }

    [Fact]
    public void LoadCsv_MissingLabelColumn_ThrowsNamingColumns()
    {
        using var dir = new TestDirectory();
        var path = dir.File("m.csv");
        File.WriteAllText(path, "text,tag\nhi,a\n");

        var error = Assert.Throws<InvalidDataException>(() => TextDataset.LoadCsv(path));

        Assert.Contains("column 'label' not found; the header has: text, tag", error.Message);
    }

    [Fact]
    public void LoadCsv_LabelsOptional_ReadsTextOnly()
    {
        using var dir = new TestDirectory();
        var path = dir.File("p.csv");
        File.WriteAllText(path, "text\nfirst\nsecond\n");

        var rows = TextDataset.LoadCsv(path, labelsOptional: true);

        Assert.Equal(["first", "second"], rows.Select(r => r.Text));
        Assert.All(rows, r => Assert.Null(r.Label));
    }

    [Fact]
    public void LoadCsv_UnclosedQuote_ThrowsWithLine()
    {
        using var dir = new TestDirectory();
        var path = dir.File("q.csv");
        File.WriteAllText(path, "text,label\nok,a\n\"never closed,b\n");

        var error = Assert.Throws<InvalidDataException>(() => TextDataset.LoadCsv(path));

        Assert.Contains("line 3: quoted field is never closed", error.Message);
    }

    [Fact]
    public void LoadCsv_WrongFieldCount_ThrowsWithLine()
    {
        using var dir = new TestDirectory();
        var path = dir.File("f.csv");
        File.WriteAllText(path, "text,label\na,b,c\n");

        var error = Assert.Throws<InvalidDataException>(() => TextDataset.LoadCsv(path));

        Assert.Contains("line 2: 3 fields, the header has 2", error.Message);
    }

    [Fact]
    public void LoadCsv_TextAfterClosingQuote_Throws()
    {
        using var dir = new TestDirectory();
        var path = dir.File("t.csv");
        File.WriteAllText(path, "text,label\n\"a\"b,c\n");

        var error = Assert.Throws<InvalidDataException>(() => TextDataset.LoadCsv(path));

        Assert.Contains("after a closing quote", error.Message);
    }

    [Fact]
    public void LoadCsv_EmptyLabel_Throws()
    {
        using var dir = new TestDirectory();
        var path = dir.File("e.csv");
        File.WriteAllText(path, "text,label\nhello, \n");

        var error = Assert.Throws<InvalidDataException>(() => TextDataset.LoadCsv(path));

        Assert.Contains("line 2: the label is empty", error.Message);
    }

    [Fact]
    public void LoadCsv_HeaderOnly_Throws()
    {
        using var dir = new TestDirectory();
        var path = dir.File("h.csv");
        File.WriteAllText(path, "text,label\n");

        Assert.Throws<InvalidDataException>(() => TextDataset.LoadCsv(path));
    }

    [Fact]
    public void LoadCsv_InvalidUtf8_Throws()
    {
        using var dir = new TestDirectory();
        var path = dir.File("b.csv");
        File.WriteAllBytes(path, [.. "text,label\n"u8, 0xC3, 0x28, (byte)',', (byte)'a', (byte)'\n']);

        var error = Assert.Throws<InvalidDataException>(() => TextDataset.LoadCsv(path));

        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void LoadCsv_MissingFile_ThrowsFileNotFound()
    {
        using var dir = new TestDirectory();

        Assert.Throws<FileNotFoundException>(() => TextDataset.LoadCsv(dir.File("absent.csv")));
    }
}
