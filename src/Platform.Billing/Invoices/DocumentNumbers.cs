using Npgsql;

namespace Platform.Billing.Invoices;

/// <summary>
/// Gapless document numbers per series and calendar year of issue: INV-2026-000001, CN-2026-000001.
/// The counter row is upserted in the caller's transaction, so concurrent issuers queue on it and a
/// rolled-back issue gives its number back. Call it only when the number is certainly used.
/// </summary>
internal static class DocumentNumbers
{
    public const string Invoices = "INV";
    public const string CreditNotes = "CN";

    public static async Task<string> NextAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string series, DateTimeOffset issuedAt,
        CancellationToken cancellationToken)
    {
        var year = issuedAt.UtcDateTime.Year;
        await using var command = new NpgsqlCommand("""
            INSERT INTO document_number_series (series, year, last) VALUES ($1, $2, 1)
            ON CONFLICT (series, year) DO UPDATE SET last = document_number_series.last + 1
            RETURNING last
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = series });
        command.Parameters.Add(new NpgsqlParameter { Value = year });
        var last = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return $"{series}-{year}-{last:D6}";
    }
}
