using Npgsql;
using Platform.Domain.Common;

namespace Platform.Jobs.Privacy;

/// <summary>In which capacity a caller may export or erase an organisation.</summary>
internal enum PrivacyRole
{
    Owner,
    PlatformAdmin,
}

/// <summary>
/// Export and erasure are an owner's (of the organisation the caller acts for) or a platform admin's
/// (of any organisation). Checked against the database on every command, whatever the page showed.
/// </summary>
internal static class PrivacyAccess
{
    public static async Task<Result<PrivacyRole>> RequireAsync(NpgsqlDataSource dataSource, ICurrentTenant current, Guid tenantId,
        CancellationToken cancellationToken)
    {
        if (current.UserId is not { } userId)
            return Result<PrivacyRole>.Forbidden("Sign in first.");
        await using var command = dataSource.CreateCommand("""
            SELECT t.status,
                   (SELECT m.role FROM tenant_memberships m WHERE m.tenant_id = t.id AND m.user_id = $2),
                   EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = $2 AND r.normalized_name = 'PLATFORMADMIN')
            FROM tenants t WHERE t.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetString(0) == "Erased")
            return Result<PrivacyRole>.NotFound("The organisation does not exist.");
        // An owner acts for the organisation it has selected; an admin for any.
        if (current.TenantId == tenantId && !reader.IsDBNull(1) && reader.GetString(1) == "Owner")
            return Result<PrivacyRole>.Success(PrivacyRole.Owner);
        if (reader.GetBoolean(2))
            return Result<PrivacyRole>.Success(PrivacyRole.PlatformAdmin);
        return Result<PrivacyRole>.Forbidden("Only an owner of the organisation or a platform admin can export or erase its data.");
    }
}
