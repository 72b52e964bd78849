using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;
using Platform.Data.Artifacts.Encryption;

namespace Platform.Web.Notifications;

/// <summary>
/// Webhook signing secrets at rest (decision 0045): sealed with the tenant's data key, bound to the
/// webhook's row. Rows from before sealing keep their plaintext until <see cref="SealPlaintextAsync"/>
/// seals them (the web host does at start); <see cref="ReadAsync"/> accepts both meanwhile.
/// </summary>
public sealed class WebhookSecrets(TenantSecretCipher cipher, NpgsqlDataSource dataSource)
{
    public static string NewSecret() => "whsec_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public Task<byte[]> SealAsync(Guid tenantId, Guid webhookId, string secret, CancellationToken cancellationToken) =>
        cipher.SealAsync(tenantId, Purpose(webhookId), secret, cancellationToken);

    /// <summary>The secret of a row: the sealed value when there is one, else the plaintext of a row not sealed yet.</summary>
    public async Task<string> ReadAsync(Guid tenantId, Guid webhookId, byte[]? sealedSecret, string? plaintext, CancellationToken cancellationToken) =>
        sealedSecret is not null ? await cipher.OpenAsync(tenantId, Purpose(webhookId), sealedSecret, cancellationToken)
        : plaintext ?? throw new InvalidDataException("The webhook has no secret.");

    /// <summary>Seals every secret still stored in the clear and clears the plaintext; returns how many rows it sealed.</summary>
    public async Task<int> SealPlaintextAsync(CancellationToken cancellationToken)
    {
        var plain = new List<(Guid Id, Guid Tenant, string Secret)>();
        await using (var select = dataSource.CreateCommand("SELECT id, tenant_id, secret FROM webhooks WHERE secret IS NOT NULL"))
        {
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                plain.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)));
        }
        var sealedRows = 0;
        foreach (var (id, tenant, secret) in plain)
        {
            // Only while the row still holds that plaintext: a rotation meanwhile wrote its own sealed secret.
            await using var update = dataSource.CreateCommand("UPDATE webhooks SET secret_sealed = $2, secret = NULL WHERE id = $1 AND secret = $3");
            update.Parameters.Add(new NpgsqlParameter { Value = id });
            update.Parameters.Add(new NpgsqlParameter { Value = await SealAsync(tenant, id, secret, cancellationToken) });
            update.Parameters.Add(new NpgsqlParameter { Value = secret });
            sealedRows += await update.ExecuteNonQueryAsync(cancellationToken);
        }
        return sealedRows;
    }

    private static string Purpose(Guid webhookId) => $"webhook-secret:{webhookId:N}";
}

/// <summary>In the host that applies migrations: seals the webhook secrets an earlier version stored in the clear.</summary>
internal sealed class WebhookSecretSealing(IServiceScopeFactory scopes, IOptions<DataOptions> data, ILogger<WebhookSecretSealing> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (data.Value.Migrations != MigrationMode.Apply)
            return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var sealedRows = await scope.ServiceProvider.GetRequiredService<WebhookSecrets>().SealPlaintextAsync(stoppingToken);
            if (sealedRows > 0)
                logger.LogInformation("Sealed {Count} webhook secrets stored in the clear by an earlier version", sealedRows);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The plaintext rows keep working; the next start tries again.
            logger.LogError(e, "Sealing the webhook secrets stored in the clear failed");
        }
    }
}
