using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Data.Artifacts.Encryption;

/// <summary>
/// In the host that applies migrations (the web host), once per store: encrypts the files an install
/// from before encryption wrote in the clear, in the background (readers accept those files meanwhile,
/// checked against their hash), then leaves a marker so later starts skip the walk.
/// </summary>
internal sealed class LegacyArtifactEncryptionService(
    IArtifactStore store, IOptions<StorageOptions> storage, IOptions<DataOptions> data, ILogger<LegacyArtifactEncryptionService> logger)
    : BackgroundService
{
    internal const string MarkerName = ".encrypted-v1";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not LocalArtifactStore local || data.Value.Migrations != MigrationMode.Apply)
            return;
        var marker = Path.Combine(Path.GetFullPath(storage.Value.Root!), "tenants", MarkerName);
        if (File.Exists(marker))
            return;
        try
        {
            var encrypted = await local.EncryptLegacyFilesAsync(stoppingToken);
            Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
            await File.WriteAllTextAsync(marker, $"{DateTimeOffset.UtcNow:O}\n", stoppingToken);
            if (encrypted > 0)
                logger.LogInformation("Encrypted {Count} artifacts stored in the clear by an earlier version", encrypted);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The files stay readable as they are; the next start tries again.
            logger.LogError(e, "Encrypting the artifacts stored in the clear failed");
        }
    }
}
