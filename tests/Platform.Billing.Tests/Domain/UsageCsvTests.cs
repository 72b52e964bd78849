using Platform.Billing.Finance;

namespace Platform.Billing.Tests.Domain;

public sealed class UsageCsvTests
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
        var output = new System.Text.StringBuilder();
        CsvCells.AppendRecord(output, [value]);
        Assert.Equal(expected + "\r\n", output.ToString());
    }

    [Fact]
    public void Write_JobNameWithFormulaCommaAndQuote_IsNeutralisedAndQuoted()
    {
        var tenant = Guid.Parse("11111111-1111-1111-1111-111111111111");
        var job = Guid.Parse("22222222-2222-2222-2222-222222222222");
        var csv = UsageCsv.Write([new UsageExportRow("k:1:1", tenant, "Acme, Inc.", job, "=cmd|' /C calc'!A0 \"x\"", 1, 1, "cuda",
            new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 6, 1, 11, 0, 0, TimeSpan.Zero), 5400)]);
        var lines = csv.Split("\r\n");
        Assert.Equal("key,tenant_id,tenant,job_id,job,attempt,segment,device,started_at_utc,ended_at_utc,seconds,hours,billable_hours,charge,currency", lines[0]);
        Assert.Equal($""""k:1:1,{tenant},"Acme, Inc.",{job},"'=cmd|' /C calc'!A0 ""x""",1,1,cuda,2026-06-01 10:00:00,2026-06-01 11:00:00,5400,1.5,0,,"""", lines[1]);
        Assert.Equal("", lines[2]);
    }
}
