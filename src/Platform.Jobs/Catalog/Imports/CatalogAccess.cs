using Npgsql;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Jobs.Catalog.Imports;

/// <summary>
/// Who may change which catalog: a tenant's owners its private models (while the tenant may write),
/// platform admins the platform-wide ones. Checked against the database on every command, not only
/// by the page that offers the form.
/// </summary>
internal static class CatalogAccess
{
    /// <summary>The scope the caller acts in: null for platform-wide, else the tenant.</summary>
    public static async Task<Result<Guid?>> RequireAsync(NpgsqlDataSource dataSource, ICurrentTenant current, bool platformWide,
        CancellationToken cancellationToken)
    {
        if (current.UserId is not { } userId)
            return Result<Guid?>.Forbidden("Sign in first.");
        if (platformWide)
        {
            await using var admin = dataSource.CreateCommand("""
                SELECT EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                               WHERE ur.user_id = $1 AND r.normalized_name = 'PLATFORMADMIN')
                """);
            admin.Parameters.Add(new NpgsqlParameter { Value = userId });
            return await admin.ExecuteScalarAsync(cancellationToken) is true
                ? Result<Guid?>.Success(null)
                : Result<Guid?>.Forbidden("Only a platform admin can change the platform-wide catalog.");
        }
        if (current.TenantId is not { } tenantId)
            return Result<Guid?>.Forbidden("Choose an organisation first.");
        await using var command = dataSource.CreateCommand("""
            SELECT m.role, t.status, t.suspension_reason
            FROM tenants t LEFT JOIN tenant_memberships m ON m.tenant_id = t.id AND m.user_id = $2
            WHERE t.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return Result<Guid?>.NotFound("The organisation does not exist.");
        if (reader.IsDBNull(0) || reader.GetString(0) != "Owner")
            return Result<Guid?>.Forbidden("Only an owner of the organisation can add or change its models.");
        var writable = Tenant.CheckCanWrite(Enum.Parse<TenantStatus>(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2),
            "import models");
        if (!writable.IsSuccess)
            return Result<Guid?>.From(writable);
        return Result<Guid?>.Success(tenantId);
    }
}
