using Microsoft.Extensions.Configuration;

namespace Platform.Jobs.Privacy;

/// <summary>
/// Where a tenant's files live outside the artifact store: the catalog's folders (its private base models,
/// imports in progress) and the job folders installs before the store held checkpoints and models wrote
/// (read, migrated and deleted; nothing new is written there).
/// Read from configuration with the same defaults the worker and the catalog use, so a web host
/// without a worker finds them too.
/// </summary>
public sealed class TenantFolders(IConfiguration configuration)
{
    public string? JobsRoot =>
        configuration["Training:WorkDirectory"] is { Length: > 0 } work ? work
        : configuration["Storage:Root"] is { Length: > 0 } root ? Path.Combine(root, "jobs") : null;

    public string? CatalogRoot =>
        configuration["Catalog:Root"] is { Length: > 0 } catalog ? catalog
        : configuration["Storage:Root"] is { Length: > 0 } root ? Path.Combine(root, "catalog") : null;

    /// <summary>The folder holding every job folder of the tenant.</summary>
    public string? TenantJobs(Guid tenantId) => JobsRoot is { } root ? Path.Combine(root, tenantId.ToString("N")) : null;

    public string? Import(Guid importId) => CatalogRoot is { } root ? Path.Combine(root, "imports", importId.ToString("N")) : null;

    /// <summary>True when <paramref name="path"/> is inside the catalog root: only such folders are ever deleted.</summary>
    public bool InCatalog(string path) =>
        CatalogRoot is { } root && Path.GetFullPath(path).StartsWith(Path.GetFullPath(root).TrimEnd('/') + "/", StringComparison.Ordinal);

    public static void DeleteIfExists(string? directory)
    {
        if (directory is not null && Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }
}
