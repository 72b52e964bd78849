using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Web.Notifications;

/// <summary>
/// Delivers due webhook events: each is POSTed as JSON, signed (<see cref="WebhookSignature"/>); a 2xx answer
/// delivers it, anything else (or no answer within the timeout) schedules the next attempt after an
/// exponentially growing wait, until <see cref="WebhookOptions.MaxAttempts"/>. The deliveries are rows in
/// PostgreSQL, so a restart loses none: the next sender picks up what is due. Rows are locked while sent
/// (SKIP LOCKED), so senders on several hosts never send one attempt twice.
/// </summary>
public sealed class WebhookSender(NpgsqlDataSource dataSource, IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider time,
    WebhookSecrets secrets, ILogger<WebhookSender> logger)
{
    public const string ClientName = "webhooks";
    private const int BatchSize = 20;

    /// <summary>Sends what is due; returns how many were delivered.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        while (true)
        {
            var (claimed, ok) = await SendBatchAsync(cancellationToken);
            delivered += ok;
            if (claimed < BatchSize)
                return delivered;
        }
    }

    private sealed record Due(Guid Id, Guid EventId, string EventType, string Payload, int Attempts, string Url, Guid TenantId, Guid WebhookId,
        byte[]? SealedSecret, string? PlainSecret);

    private async Task<(int Claimed, int Delivered)> SendBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = new List<Due>();
        await using (var select = new NpgsqlCommand("""
            SELECT d.id, d.event_id, d.event_type, d.payload, d.attempts, w.url, w.tenant_id, w.id, w.secret_sealed, w.secret
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.next_attempt_at <= $1 AND w.deleted_at IS NULL
            ORDER BY d.next_attempt_at LIMIT $2
            FOR UPDATE OF d SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            select.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                due.Add(new Due(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                    reader.GetString(5), reader.GetGuid(6), reader.GetGuid(7), reader.IsDBNull(8) ? null : (byte[])reader[8],
                    reader.IsDBNull(9) ? null : reader.GetString(9)));
        }
        var delivered = 0;
        foreach (var delivery in due)
        {
            var (status, error) = await PostAsync(delivery, cancellationToken);
            var ok = status is >= 200 and < 300;
            var attempts = delivery.Attempts + 1;
            var now = time.GetUtcNow();
            DateTimeOffset? next = ok || attempts >= options.Value.MaxAttempts ? null : now + Delay(attempts);
            await using var update = new NpgsqlCommand("""
                UPDATE webhook_deliveries SET attempts = $2, last_attempt_at = $3, last_status = $4, last_error = $5, next_attempt_at = $6,
                    delivered_at = CASE WHEN $7 THEN $3 END, failed_at = CASE WHEN NOT $7 AND $6::timestamptz IS NULL THEN $3 END
                WHERE id = $1
                """, connection, transaction);
            update.Parameters.Add(new NpgsqlParameter { Value = delivery.Id });
            update.Parameters.Add(new NpgsqlParameter { Value = attempts });
            update.Parameters.Add(new NpgsqlParameter { Value = now });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)next ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            update.Parameters.Add(new NpgsqlParameter { Value = ok });
            await update.ExecuteNonQueryAsync(cancellationToken);
            if (ok)
                delivered++;
        }
        await transaction.CommitAsync(cancellationToken);
        return (due.Count, delivered);
    }

    /// <summary>The wait after the n-th failed attempt: the first delay, doubled each time, at most the maximum.</summary>
    public TimeSpan Delay(int attempts)
    {
        var seconds = options.Value.FirstRetryDelay.TotalSeconds * Math.Pow(2, Math.Min(attempts - 1, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, options.Value.MaxDelay.TotalSeconds));
    }

    private async Task<(int? Status, string? Error)> PostAsync(Due delivery, CancellationToken cancellationToken)
    {
        string secret;
        try
        {
            secret = await secrets.ReadAsync(delivery.TenantId, delivery.WebhookId, delivery.SealedSecret, delivery.PlainSecret, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Security.Cryptography.CryptographicException)
        {
            // Unsigned, nothing is sent; the attempt is logged and retried like a failed one (an erased tenant's rows go with it).
            logger.LogWarning("Webhook {Webhook}'s secret cannot be read: {Error}", delivery.WebhookId, ex.Message);
            return (null, "The webhook's signing secret could not be read: rotate it.");
        }
        try
        {
            using var client = clients.CreateClient(ClientName);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.Timeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, time.GetUtcNow(), delivery.Payload));
            request.Headers.Add("Platform-Event-Id", delivery.EventId.ToString());
            request.Headers.Add("Platform-Event-Type", delivery.EventType);
            using var response = await client.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            return (status, response.IsSuccessStatusCode ? null
                : status is >= 300 and < 400 ? $"HTTP {status} {response.ReasonPhrase}: redirects are not followed, register the address it points to"
                : $"HTTP {status} {response.ReasonPhrase}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Webhook delivery {Id} to {Url} failed: {Error}", delivery.Id, delivery.Url, ex.Message);
            var message = ex is TaskCanceledException ? $"No answer within {options.Value.Timeout.TotalSeconds:0} s" : ex.Message;
            return (null, message.Length > 2000 ? message[..2000] : message);
        }
    }
}

/// <summary>Runs <see cref="WebhookSender"/> every <see cref="WebhookOptions.PollInterval"/> in the web host.</summary>
public sealed class WebhookDeliveryService(IServiceScopeFactory scopes, IOptions<WebhookOptions> options, ILogger<WebhookDeliveryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Sender)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<WebhookSender>().SendDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database away, say: the rows wait, and the next round tries again.
                logger.LogWarning(ex, "Webhook deliveries not sent this round");
            }
            try
            {
                await Task.Delay(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
