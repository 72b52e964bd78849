using Npgsql;
using Platform.Domain.Common;
using Platform.Jobs.Catalog.Hub;

namespace Platform.Jobs.Catalog.Imports;

/// <param name="RepoId">A Hub model id (org/name), or its https://huggingface.co/org/name address.</param>
/// <param name="Revision">A branch, tag, commit or refs/pr/N; "main" when blank.</param>
/// <param name="Name">The catalog name; the model's own name (after the '/') when blank.</param>
/// <param name="PlatformWide">A platform admin's import for every tenant; otherwise private to the current tenant.</param>
public sealed record StartHubImportRequest(string RepoId, string? Revision = null, string? Name = null, string? Description = null,
    bool PlatformWide = false);

/// <summary>
/// Queues the import of a Hugging Face Hub model into the catalog: private to the current tenant (its
/// owners only) or platform-wide (platform admins only). The download and validation run in the
/// background (<see cref="BaseModelImportService"/>); the import's row says how far it got.
/// </summary>
public sealed class StartHubImportCommand(
    NpgsqlDataSource dataSource,
    BaseModelCatalog catalog,
    ICurrentTenant current,
    BaseModelImportSignal signal,
    Platform.Data.Audit.AuditTrail audit)
{
    public async Task<Result<Guid>> ExecuteAsync(StartHubImportRequest request, CancellationToken cancellationToken = default)
    {
        var scope = await CatalogAccess.RequireAsync(dataSource, current, request.PlatformWide, cancellationToken);
        if (!scope.IsSuccess)
            return Result<Guid>.From(scope);
        var repoId = NormaliseRepoId(request.RepoId);
        if (!HuggingFaceHubClient.IsValidRepoId(repoId))
            return Result<Guid>.BadRequest($"'{request.RepoId.Trim()}' is not a Hugging Face model id: write it as org/name, e.g. google-bert/bert-base-uncased.");
        var revision = string.IsNullOrWhiteSpace(request.Revision) ? "main" : request.Revision.Trim();
        if (!HuggingFaceHubClient.IsValidRevision(revision))
            return Result<Guid>.BadRequest($"'{revision}' is not a revision: give a branch, tag, commit or refs/pr/N.");
        var name = string.IsNullOrWhiteSpace(request.Name) ? repoId[(repoId.LastIndexOf('/') + 1)..] : request.Name.Trim();
        // The catalog shows where a model came from (its source) already; the description is the user's.
        var description = request.Description?.Trim() ?? "";
        var store = new BaseModelImportStore(dataSource);
        var queued = await ImportQueueing.CheckAsync(catalog, store, scope.Value, name, description, cancellationToken);
        if (!queued.IsSuccess)
            return Result<Guid>.From(queued);

        var id = Guid.CreateVersion7();
        await store.InsertAsync(id, scope.Value, name, description, "hub", repoId, revision, null, current.UserId, audit,
            cancellationToken);
        signal.Notify();
        return Result<Guid>.Success(id);
    }

    /// <summary>Accepts the model page's address as well as the id: https://huggingface.co/org/name[/tree/...].</summary>
    private static string NormaliseRepoId(string input)
    {
        var id = input.Trim();
        if (Uri.TryCreate(id, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            var segments = url.AbsolutePath.Trim('/').Split('/');
            id = string.Join('/', segments.Take(segments.Length > 1 && segments[1] is not ("tree" or "blob" or "resolve") ? 2 : 1));
        }
        return id;
    }
}

/// <summary>Checks both kinds of import make before queuing: a usable name, free among the models and imports of the scope.</summary>
internal static class ImportQueueing
{
    public static async Task<Result> CheckAsync(BaseModelCatalog catalog, BaseModelImportStore store, Guid? tenantId, string name, string description,
        CancellationToken cancellationToken)
    {
        if (BaseModelCatalog.CheckName(name) is { } invalid)
            return Result.BadRequest(invalid);
        if (description.Length > 500)
            return Result.BadRequest("The description may be at most 500 characters.");
        if (await catalog.NameTakenAsync(tenantId, name, cancellationToken) is { } taken)
            return Result.Conflict(taken);
        if (await store.ActiveNameTakenAsync(tenantId, name, cancellationToken))
            return Result.Conflict($"An import named '{name}' is already under way.");
        return Result.Success();
    }
}
