using System.Text;
using Platform.Data.Datasets;
using Platform.Data.Datasets.Ingestion;

namespace Platform.Data.Tests.Datasets.Ingestion;

public class TextIngesterTests
{
    private static (TextIngestion Result, string Normalized) Ingest(string csv, string? text = null, string? label = null, DatasetOptions? options = null)
    {
        var output = new MemoryStream();
        var result = new TextIngester(options ?? new DatasetOptions()).Ingest(new MemoryStream(Encoding.UTF8.GetBytes(csv)), text, label, output);
        return (result, Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void Ingest_ValidCsv_CollectsLabelsInOrderAndLengthStats()
    {
        var (result, _) = Ingest("text,label\ngreat film,pos\nawful,neg\nloved it,pos\n");

        Assert.Equal(["pos", "neg", "pos"], result.Labels);
        Assert.Equal((5, 10), (result.Stats.Min, result.Stats.Max));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Ingest_Always_WritesNormalisedTextLabelCsv()
    {
        var (_, normalized) = Ingest("id,review,sentiment\n1,\"Good, really\",pos\n2,\"said \"\"meh\"\"\",neg\n", "review", "sentiment");

        Assert.Equal("text,label\n\"Good, really\",pos\n\"said \"\"meh\"\"\",neg\n", normalized);
    }

    [Fact]
    public void Ingest_EmptyDuplicateAndOverLongRows_SkippedAndReportedWithLines()
    {
        var longText = new string('x', 50);
        var (result, normalized) = Ingest(
            $"text,label\nfirst,a\n,b\n first ,a\n{longText},a\n  ,a\nsecond,\nthird,b\n",
            options: new DatasetOptions { MaxTextLength = 40 });

        Assert.Equal(["a", "b"], result.Labels);
        Assert.Equal([3, 6, 7], result.Empty.FirstLines);
        Assert.Equal([4], result.Duplicates.FirstLines);
        Assert.Equal([5], result.OverLong.FirstLines);
        Assert.Contains("3 empty rows skipped (lines 3, 6, 7).", result.Warnings);
        Assert.Contains("1 duplicate text skipped (line 4).", result.Warnings);
        Assert.Equal("text,label\nfirst,a\nthird,b\n", normalized);
    }

    [Fact]
    public void Ingest_SameTextUnderAnotherLabel_KeptAndReportedWithLines()
    {
        var (result, normalized) = Ingest("text,label\nfirst,a\nsecond,b\nfirst,b\nfirst,b\nfirst,c\nthird,a\n");

        // Line 5 repeats line 4 under the same label: a duplicate. Lines 4 and 6 put line 2's text under b and c.
        Assert.Equal(["a", "b", "b", "c", "a"], result.Labels);
        Assert.Equal([5], result.Duplicates.FirstLines);
        Assert.Equal(new Dictionary<int, int> { [2] = 0, [3] = 0 }, result.CopyOf);
        Assert.Equal(
            "1 text appears under more than one label: line 2 = line 4. " +
            "Every copy is kept, all on the same side of the train/validation split; check which label is right.",
            Assert.Single(result.Warnings, w => w.Contains("more than one label", StringComparison.Ordinal)));
        Assert.Equal("text,label\nfirst,a\nsecond,b\nfirst,b\nfirst,c\nthird,a\n", normalized);
    }

    [Fact]
    public void Ingest_ManyTextsUnderTwoLabels_OneWarningNamingTheFirstFew()
    {
        var csv = "text,label\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"text {i},a\ntext {i},b\n"));

        var (result, _) = Ingest(csv);

        Assert.Equal(40, result.CopyOf.Count);
        var warning = Assert.Single(result.Warnings);
        Assert.StartsWith("40 texts appear under more than one label: line 2 = line 3, line 4 = line 5, line 6 = line 7, " +
            "line 8 = line 9, line 10 = line 11, … (and 35 more).", warning);
    }

    [Fact]
    public void Ingest_BlankLine_CountsAsEmptyRowNotRagged()
    {
        var (result, _) = Ingest("text,label\nhello,a\n\nbye,b\n");

        Assert.Equal(1, result.Empty.Count);
        Assert.Equal(2, result.Labels.Count);
    }

    [Fact]
    public void Ingest_RaggedRow_ThrowsWithLineAndCounts()
    {
        var ex = Assert.Throws<IngestionException>(() => Ingest("text,label\nok,a\nnot, ok,b\n"));

        Assert.Contains("Line 3", ex.Message);
        Assert.Contains("expected 2 fields", ex.Message);
        Assert.Contains("found 3", ex.Message);
    }

    [Fact]
    public void Ingest_MissingTextColumn_ListsHeaderColumns()
    {
        var ex = Assert.Throws<IngestionException>(() => Ingest("review,sentiment\ngood,pos\n"));

        Assert.Contains("no column 'text'", ex.Message);
        Assert.Contains("review, sentiment", ex.Message);
    }

    [Fact]
    public void Ingest_MappedColumnsAnyCase_UsesThem()
    {
        var (result, _) = Ingest("Review,Sentiment\ngood,pos\nbad,neg\n", "review", "SENTIMENT");

        Assert.Equal(("Review", "Sentiment"), (result.TextColumn, result.LabelColumn));
        Assert.Equal(["pos", "neg"], result.Labels);
    }

    [Fact]
    public void Ingest_SameColumnForTextAndLabel_Throws()
    {
        Assert.Throws<IngestionException>(() => Ingest("a,b\nx,y\n", "a", "A"));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("text,\nx,y\n", "no name")]
    [InlineData("text,TEXT,label\n", "twice")]
    public void Ingest_BadHeader_Throws(string csv, string expected)
    {
        var ex = Assert.Throws<IngestionException>(() => Ingest(csv));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Ingest_MoreRowsThanLimit_Throws()
    {
        var ex = Assert.Throws<IngestionException>(() => Ingest("text,label\na,1\nb,2\nc,1\n", options: new DatasetOptions { MaxRows = 2 }));

        Assert.Contains("more than 2", ex.Message);
    }

    [Fact]
    public void Ingest_ManyRows_SamplesEveryLabel()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 100; i++)
        {
            csv.Append($"text {i},{(i < 90 ? "common" : "rare")}\n");
        }

        var (result, _) = Ingest(csv.ToString(), options: new DatasetOptions { SampleCount = 4 });

        Assert.Equal(4, result.Samples.Count);
        Assert.Equal(2, result.Samples.Count(s => s.Label == "rare"));
        Assert.All(result.Samples, s => Assert.Equal($"text {s.Index}", s.Text));
    }

    [Fact]
    public void ReadColumns_Header_ReturnsTrimmedNames()
    {
        var columns = TextIngester.ReadColumns(new MemoryStream(Encoding.UTF8.GetBytes("\uFEFF id , review,label\n1,x,y\n")), new DatasetOptions());

        Assert.Equal(["id", "review", "label"], columns);
    }
}
