using Npgsql;
using Platform.Domain.Billing.Tax;
using Platform.Domain.Common;

namespace Platform.Billing.Tax;

/// <summary>A tenant's legal details as a buyer: what its invoices are addressed to and taxed by.</summary>
public sealed record BuyerDetails(string LegalName, string AddressLine1, string? AddressLine2, string City, string? PostalCode,
    string? Region, string Country, string? TaxId)
{
    /// <summary>The address block printed under the legal name.</summary>
    public string AddressText() => string.Join("\n", new[]
    {
        AddressLine1, AddressLine2, string.Join(" ", new[] { PostalCode, City }.Where(s => !string.IsNullOrWhiteSpace(s))), Region, Country,
    }.Where(s => !string.IsNullOrWhiteSpace(s)));
}

/// <summary>Reads and saves buyer details; the web tier lets the tenant's owners and platform admins call it.</summary>
public sealed class BuyerDetailsStore(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    public async Task<BuyerDetails?> GetAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, tenantId, cancellationToken);
    }

    internal static async Task<BuyerDetails?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT legal_name, address_line1, address_line2, city, postal_code, region, country, tax_id
            FROM tenant_billing_details WHERE tenant_id = $1
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new BuyerDetails(reader.GetString(0), reader.GetString(1), Text(2), reader.GetString(3), Text(4), Text(5), reader.GetString(6), Text(7));
    }

    /// <summary>Checks and saves the details; the tax id is stored in its canonical form. Returns what was saved.</summary>
    public async Task<Result<BuyerDetails>> SaveAsync(Guid tenantId, BuyerDetails details, CancellationToken cancellationToken = default)
    {
        string? Clean(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        var country = (details.Country ?? "").Trim().ToUpperInvariant();
        if (string.IsNullOrWhiteSpace(details.LegalName) || details.LegalName.Trim().Length > 200)
            return Result<BuyerDetails>.BadRequest("Give the legal name (at most 200 characters).");
        if (string.IsNullOrWhiteSpace(details.AddressLine1) || details.AddressLine1.Trim().Length > 200 || details.AddressLine2?.Trim().Length > 200)
            return Result<BuyerDetails>.BadRequest("Give the street address (at most 200 characters a line).");
        if (string.IsNullOrWhiteSpace(details.City) || details.City.Trim().Length > 100)
            return Result<BuyerDetails>.BadRequest("Give the city (at most 100 characters).");
        if (details.PostalCode?.Trim().Length > 20 || details.Region?.Trim().Length > 50)
            return Result<BuyerDetails>.BadRequest("The postal code is at most 20 characters and the region or state at most 50.");
        if (!Countries.IsKnown(country))
            return Result<BuyerDetails>.BadRequest("Choose the country as its two-letter ISO code (e.g. DE, FR, US).");
        if (country == "US" && (Clean(details.Region) is not { Length: 2 } state || !state.All(char.IsAsciiLetter)))
            return Result<BuyerDetails>.BadRequest("A US address needs its state as the two-letter code (e.g. CA, NY): sales tax depends on it.");
        string? taxId = null;
        if (Clean(details.TaxId) is { } given)
        {
            var (normalized, error) = TaxIds.Normalize(country, given);
            if (error is not null)
                return Result<BuyerDetails>.BadRequest(error);
            taxId = normalized;
        }
        var saved = new BuyerDetails(details.LegalName.Trim(), details.AddressLine1.Trim(), Clean(details.AddressLine2), details.City.Trim(),
            Clean(details.PostalCode), country == "US" ? Clean(details.Region)!.ToUpperInvariant() : Clean(details.Region), country, taxId);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO tenant_billing_details (tenant_id, legal_name, address_line1, address_line2, city, postal_code, region, country, tax_id, updated_by)
            SELECT t.id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM tenants t WHERE t.id = $1
            ON CONFLICT (tenant_id) DO UPDATE SET legal_name = EXCLUDED.legal_name, address_line1 = EXCLUDED.address_line1,
                address_line2 = EXCLUDED.address_line2, city = EXCLUDED.city, postal_code = EXCLUDED.postal_code, region = EXCLUDED.region,
                country = EXCLUDED.country, tax_id = EXCLUDED.tax_id, updated_by = EXCLUDED.updated_by, updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        foreach (var value in new[] { saved.LegalName, saved.AddressLine1, saved.AddressLine2, saved.City, saved.PostalCode, saved.Region, saved.Country, saved.TaxId })
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)current.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1
            ? Result<BuyerDetails>.Success(saved)
            : Result<BuyerDetails>.NotFound("The organisation does not exist.");
    }
}
