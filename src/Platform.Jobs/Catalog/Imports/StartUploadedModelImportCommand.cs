using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Datasets.Ingestion;
using Platform.Domain.Common;

namespace Platform.Jobs.Catalog.Imports;

/// <param name="PlatformWide">A platform admin's upload for every tenant; otherwise private to the current tenant.</param>
public sealed record UploadedModelRequest(string Name, string? Description = null, bool PlatformWide = false);

/// <summary>
/// A model folder zipped in the browser: the ZIP is streamed to the import's folder (at most
/// Catalog:MaxUploadBytes), its layout and safety are checked at once (the dataset upload's ZIP checks),
/// and the import is queued; extraction, loading and the catalog entry follow in the background like a
/// Hub import. Private to the current tenant (owners) or platform-wide (platform admins).
/// </summary>
public sealed class StartUploadedModelImportCommand(
    NpgsqlDataSource dataSource,
    BaseModelCatalog catalog,
    ICurrentTenant current,
    BaseModelImportSignal signal,
    IOptions<ModelCatalogOptions> options,
    Platform.Data.Audit.AuditTrail audit)
{
    public async Task<Result<Guid>> ExecuteAsync(UploadedModelRequest request, Stream zip, CancellationToken cancellationToken = default)
    {
        var scope = await CatalogAccess.RequireAsync(dataSource, current, request.PlatformWide, cancellationToken);
        if (!scope.IsSuccess)
            return Result<Guid>.From(scope);
        var name = request.Name.Trim();
        var description = request.Description?.Trim() ?? "";
        var store = new BaseModelImportStore(dataSource);
        var queued = await ImportQueueing.CheckAsync(catalog, store, scope.Value, name, description, cancellationToken);
        if (!queued.IsSuccess)
            return Result<Guid>.From(queued);

        var id = Guid.CreateVersion7();
        var folder = Path.Combine(options.Value.ImportsRoot, id.ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, BaseModelImportProcessor.UploadFileName);
        try
        {
            var max = options.Value.MaxUploadBytes;
            long size;
            await using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true))
            {
                size = await CopyAtMostAsync(zip, target, max, cancellationToken);
                if (size > max)
                {
                    Directory.Delete(folder, recursive: true);
                    return Result<Guid>.BadRequest($"The ZIP is larger than the {max:N0}-byte upload limit for models.");
                }
                target.Position = 0;
                using var archive = ZipSafety.Open(target, ModelZip.MaxEntries);
                ModelZip.Plan(archive, max);
            }
            await store.InsertAsync(id, scope.Value, name, description, "upload", null, null, size, current.UserId, audit, cancellationToken);
        }
        catch (UnsafeZipException ex)
        {
            Directory.Delete(folder, recursive: true);
            return Result<Guid>.BadRequest(ex.Message);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
        signal.Notify();
        return Result<Guid>.Success(id);
    }

    /// <summary>Copies until the source ends or one byte past <paramref name="max"/> (the caller refuses then).</summary>
    private static async Task<long> CopyAtMostAsync(Stream source, Stream target, long max, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > max)
                return total;
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return total;
    }
}
