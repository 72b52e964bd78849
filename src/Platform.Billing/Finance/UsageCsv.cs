using System.Globalization;
using System.Text;
using Platform.Domain.Common;

namespace Platform.Billing.Finance;

/// <summary>One ledger row as finance exports it.</summary>
public sealed record UsageExportRow(
    string IdempotencyKey,
    Guid TenantId,
    string TenantName,
    Guid JobId,
    string? JobName,
    int Attempt,
    int Segment,
    string DeviceKind,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    long Seconds);

/// <summary>The finance usage export: a pure function from rows to CSV text (UTF-8, CRLF, header first).</summary>
public static class UsageCsv
{
    public static readonly string[] Header =
        ["key", "tenant_id", "tenant", "job_id", "job", "attempt", "segment", "device", "started_at_utc", "ended_at_utc", "seconds", "hours"];

    public static string Write(IEnumerable<UsageExportRow> rows)
    {
        var output = new StringBuilder();
        CsvCells.AppendRecord(output, Header);
        foreach (var row in rows)
            CsvCells.AppendRecord(output, Cells(row));
        return output.ToString();
    }

    /// <summary>
    /// Writes the CSV as rows arrive, flushing every <paramref name="flushEvery"/> rows, so that an export of
    /// any size holds one batch in memory.
    /// </summary>
    public static async Task WriteAsync(TextWriter writer, IAsyncEnumerable<UsageExportRow> rows, int flushEvery = 1000,
        CancellationToken cancellationToken = default)
    {
        var batch = new StringBuilder();
        CsvCells.AppendRecord(batch, Header);
        var count = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            CsvCells.AppendRecord(batch, Cells(row));
            if (++count % flushEvery == 0)
            {
                await writer.WriteAsync(batch, cancellationToken);
                await writer.FlushAsync(cancellationToken);
                batch.Clear();
            }
        }
        await writer.WriteAsync(batch, cancellationToken);
        await writer.FlushAsync(cancellationToken);
    }

    private static string?[] Cells(UsageExportRow row) =>
    [
        row.IdempotencyKey,
        row.TenantId.ToString(),
        row.TenantName,
        row.JobId.ToString(),
        row.JobName,
        row.Attempt.ToString(CultureInfo.InvariantCulture),
        row.Segment.ToString(CultureInfo.InvariantCulture),
        row.DeviceKind,
        row.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        row.EndedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        row.Seconds.ToString(CultureInfo.InvariantCulture),
        (row.Seconds / 3600m).ToString("0.######", CultureInfo.InvariantCulture),
    ];
}
