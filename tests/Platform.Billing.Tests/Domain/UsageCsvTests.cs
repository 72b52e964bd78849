using Platform.Billing.Finance;

namespace Platform.Billing.Tests.Domain;

public sealed class UsageCsvTests
{
    [Fact]
    public void Write_JobNameWithFormulaCommaAndQuote_IsNeutralisedAndQuoted()
    {
        var tenant = Guid.Parse("11111111-1111-1111-1111-111111111111");
        var job = Guid.Parse("22222222-2222-2222-2222-222222222222");
        var csv = UsageCsv.Write([new UsageExportRow("k:1:1", tenant, "Acme, Inc.", job, "=cmd|' /C calc'!A0 \"x\"", 1, 1, "cuda",
            new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 6, 1, 11, 0, 0, TimeSpan.Zero), 5400)]);
        var lines = csv.Split("\r\n");
        Assert.Equal("key,tenant_id,tenant,job_id,job,attempt,segment,device,started_at_utc,ended_at_utc,seconds,hours", lines[0]);
        Assert.Equal($""""k:1:1,{tenant},"Acme, Inc.",{job},"'=cmd|' /C calc'!A0 ""x""",1,1,cuda,2026-06-01 10:00:00,2026-06-01 11:00:00,5400,1.5"""", lines[1]);
        Assert.Equal("", lines[2]);
    }
}
