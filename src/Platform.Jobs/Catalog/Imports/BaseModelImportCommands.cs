using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Domain.Common;

namespace Platform.Jobs.Catalog.Imports;

/// <summary>
/// The imports of one scope, newest first: the current tenant's own (any member may watch them), or
/// the platform-wide ones (<paramref name="platformWide"/>, for the admin catalog page).
/// </summary>
public sealed class ListBaseModelImportsQuery(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    public async Task<IReadOnlyList<BaseModelImport>> ExecuteAsync(bool platformWide = false, int limit = 20,
        CancellationToken cancellationToken = default)
    {
        if (!platformWide && current.TenantId is null)
            return [];
        return await new BaseModelImportStore(dataSource).ListAsync(platformWide ? null : current.TenantId, limit, cancellationToken);
    }

    /// <summary>One import of the scope; another tenant's is not found.</summary>
    public async Task<BaseModelImport?> GetAsync(Guid importId, bool platformWide = false, CancellationToken cancellationToken = default)
    {
        if (!platformWide && current.TenantId is null)
            return null;
        return await new BaseModelImportStore(dataSource).GetAsync(platformWide ? null : current.TenantId, importId, cancellationToken);
    }
}

/// <summary>
/// Stops an import: a queued one (or one nobody holds) at once, a running one at its next heartbeat,
/// keeping nothing it downloaded. Owners for their tenant's imports, platform admins for platform-wide ones.
/// </summary>
public sealed class CancelBaseModelImportCommand(NpgsqlDataSource dataSource, ICurrentTenant current, IOptions<ModelCatalogOptions> options)
{
    public async Task<Result> ExecuteAsync(Guid importId, bool platformWide = false, CancellationToken cancellationToken = default)
    {
        var scope = await CatalogAccess.RequireAsync(dataSource, current, platformWide, cancellationToken);
        if (!scope.IsSuccess)
            return scope;
        var cancelledNow = await new BaseModelImportStore(dataSource).CancelAsync(scope.Value, importId, cancellationToken);
        if (cancelledNow is null)
            return Result.NotFound("No import under way with that id.");
        var folder = Path.Combine(options.Value.ImportsRoot, importId.ToString("N"));
        if (cancelledNow == true && Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        return Result.Success();
    }
}

/// <summary>
/// Queues a failed or cancelled Hub import again. After a failed download the files it had verified are
/// kept and a partial one resumes; a cancelled import starts over.
/// </summary>
public sealed class RetryBaseModelImportCommand(NpgsqlDataSource dataSource, ICurrentTenant current, BaseModelImportSignal signal)
{
    public async Task<Result> ExecuteAsync(Guid importId, bool platformWide = false, CancellationToken cancellationToken = default)
    {
        var scope = await CatalogAccess.RequireAsync(dataSource, current, platformWide, cancellationToken);
        if (!scope.IsSuccess)
            return scope;
        if (!await new BaseModelImportStore(dataSource).RetryAsync(scope.Value, importId, cancellationToken))
            return Result.Conflict("Only a failed or cancelled import from the Hub can be tried again; upload a ZIP again instead.");
        signal.Notify();
        return Result.Success();
    }
}
