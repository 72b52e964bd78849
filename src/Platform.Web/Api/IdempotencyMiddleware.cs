using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;
using Platform.Data.Datasets;
using Platform.Domain.Common;

namespace Platform.Web.Api;

/// <summary>
/// Idempotency-Key on the API's POSTs (decision 0026). The key is stored per tenant with a hash of the
/// request; the first successful response is kept for 24 hours and replayed to every retry with the
/// same request (header Idempotent-Replayed: true), and the same key with another request is refused
/// with 422. Two simultaneous requests with one key run once: the second waits for the first's answer.
/// A failed first attempt (4xx, 5xx, exception) leaves no trace, so a corrected retry can reuse the key.
/// </summary>
internal sealed class IdempotencyMiddleware(RequestDelegate next, NpgsqlDataSource dataSource, IOptions<DatasetOptions> datasets,
    IDataProtectionProvider protection, ILogger<IdempotencyMiddleware> logger)
{
    // Kept answers hold what was shown once (a new API key, a webhook's signing secret): they are
    // stored encrypted with the portal's key ring, never as the plain response.
    private readonly IDataProtector _bodies = protection.CreateProtector("Platform.Web.Idempotency.ResponseBody.v1");

    public const string Header = "Idempotency-Key";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>How long a retry waits for a concurrent first request before answering 409.</summary>
    private static readonly TimeSpan WaitForFirst = TimeSpan.FromSeconds(30);

    /// <summary>Responses larger than this are not kept (none of the API's creating responses comes near it).</summary>
    private const int MaxStoredBody = 1024 * 1024;

    public async Task InvokeAsync(HttpContext context, ICurrentTenant current)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.StartsWithSegments("/api/v1")
            || !context.Request.Headers.TryGetValue(Header, out var values) || current.TenantId is not { } tenantId
            || context.GetEndpoint() is null)
        {
            await next(context);
            return;
        }
        var key = values.ToString();
        if (key.Length is 0 or > 255 || key.Any(c => c is < '!' or > '~'))
        {
            await ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_idempotency_key",
                "Idempotency-Key is 1 to 255 visible ASCII characters (a UUID is a good choice).", Header).ExecuteAsync(context);
            return;
        }
        var hash = await HashRequestAsync(context);
        var deadline = DateTimeOffset.UtcNow + WaitForFirst;
        while (true)
        {
            if (await TryClaimAsync(tenantId, key, hash, context.RequestAborted))
            {
                await RunFirstAsync(context, tenantId, key);
                return;
            }
            var stored = await ReadAsync(tenantId, key, context.RequestAborted);
            if (stored is null)
                continue; // the first attempt failed and let the key go: this request runs it.
            if (stored.Hash != hash)
            {
                await ApiProblem.Create(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request in the last 24 hours: use a new key for a new request.", Header)
                    .ExecuteAsync(context);
                return;
            }
            if (stored.Status is { } status)
            {
                byte[]? body;
                try
                {
                    body = stored.Body is { Length: > 0 } sealedBody ? _bodies.Unprotect(sealedBody) : null;
                }
                catch (CryptographicException ex)
                {
                    logger.LogWarning(ex, "A kept idempotent answer could not be decrypted (key ring changed)");
                    await ApiProblem.Create(StatusCodes.Status409Conflict, "idempotency_key_unreadable",
                        "This Idempotency-Key was used, but its answer can no longer be read: use a new key.", Header).ExecuteAsync(context);
                    return;
                }
                await ReplayAsync(context, stored with { Status = status, Body = body });
                return;
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                await ApiProblem.Create(StatusCodes.Status409Conflict, "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still being processed: retry in a moment.", Header).ExecuteAsync(context);
                return;
            }
            await Task.Delay(100, context.RequestAborted);
        }
    }

    private async Task RunFirstAsync(HttpContext context, Guid tenantId, string key)
    {
        var original = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        var kept = false;
        try
        {
            await next(context);
            var status = context.Response.StatusCode;
            if (status is >= 200 and < 300 && captured.Length <= MaxStoredBody)
            {
                await CompleteAsync(tenantId, key, status, context.Response.ContentType, context.Response.Headers.Location.ToString(),
                    _bodies.Protect(captured.ToArray()));
                kept = true;
            }
        }
        finally
        {
            context.Response.Body = original;
            if (!kept)
                await ReleaseAsync(tenantId, key);
        }
        captured.Position = 0;
        await captured.CopyToAsync(original, context.RequestAborted);
    }

    /// <summary>
    /// The request's identity: method, path, query and body. A multipart body is hashed part by part
    /// (names, file names and content), so a re-sent upload with a new boundary is the same request.
    /// </summary>
    private async Task<string> HashRequestAsync(HttpContext context)
    {
        var request = context.Request;
        // The endpoint's own limit (an upload's, a playground image's): the body is read here, before the endpoint would raise it.
        var metadata = context.GetEndpoint()?.Metadata;
        var limit = metadata?.GetMetadata<UploadBodyMetadata>() is not null
            ? DatasetApi.MaxRequestBytes(datasets.Value)
            : metadata?.GetMetadata<ModelUploadBodyMetadata>() is not null
            ? BaseModelUploadApi.MaxRequestBytes(context.RequestServices.GetRequiredService<IOptions<Platform.Jobs.Catalog.ModelCatalogOptions>>().Value)
            : metadata?.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>()?.MaxRequestBodySize;
        if (limit is { } max && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
            sizeLimit.MaxRequestBodySize = max;
        // Large bodies spill to a temporary file, never to memory beyond the threshold.
        request.EnableBuffering(bufferThreshold: 64 * 1024);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? HeaderUtilities.RemoveQuotes(type.Boundary).Value
            : null;
        try
        {
            if (boundary is { Length: > 0 })
            {
                var reader = new MultipartReader(boundary, request.Body);
                while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
                {
                    sha.AppendData(Encoding.UTF8.GetBytes($"\n--part {section.ContentDisposition}\n"));
                    await AppendAsync(sha, section.Body, context.RequestAborted);
                }
            }
            else
            {
                sha.AppendData(Encoding.UTF8.GetBytes($"{type?.MediaType}\n"));
                await AppendAsync(sha, request.Body, context.RequestAborted);
            }
        }
        catch (IOException ex) when (ex is not EndOfStreamException)
        {
            // A malformed multipart body: the endpoint reads it again and says what is wrong.
            logger.LogDebug(ex, "Hashing an unreadable body for an idempotent request");
        }
        request.Body.Position = 0;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static async Task AppendAsync(IncrementalHash sha, Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            sha.AppendData(buffer, 0, read);
    }

    private async Task<bool> TryClaimAsync(Guid tenantId, string key, string hash, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        // Expired keys of this tenant go first, so an old key can be used again and the table stays small.
        batch.BatchCommands.Add(Command("DELETE FROM api_idempotency_keys WHERE tenant_id = $1 AND created_at < now() - $2::interval",
            tenantId, Lifetime));
        batch.BatchCommands.Add(Command(
            "INSERT INTO api_idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, key) DO NOTHING",
            tenantId, key, hash));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return batch.BatchCommands[1].RecordsAffected == 1;
    }

    private sealed record Stored(string Hash, int? Status, string? ContentType, string? Location, byte[]? Body);

    private async Task<Stored?> ReadAsync(Guid tenantId, string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT request_hash, status, content_type, location, body FROM api_idempotency_keys WHERE tenant_id = $1 AND key = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new Stored(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4));
    }

    private async Task CompleteAsync(Guid tenantId, string key, int status, string? contentType, string location, byte[] body)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE api_idempotency_keys SET status = $3, content_type = $4, location = $5, body = $6, completed_at = now()
            WHERE tenant_id = $1 AND key = $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = status });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)contentType ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = location.Length == 0 ? DBNull.Value : location, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = body });
        // Not the request's token: the object exists now, and its answer must be kept even if the client left.
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task ReleaseAsync(Guid tenantId, string key)
    {
        try
        {
            await using var command = dataSource.CreateCommand("DELETE FROM api_idempotency_keys WHERE tenant_id = $1 AND key = $2 AND status IS NULL");
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            // The claim then expires with the lifetime; a retry meanwhile waits and gets 409.
            logger.LogWarning(ex, "Could not release idempotency key after a failed request");
        }
    }

    private static async Task ReplayAsync(HttpContext context, Stored stored)
    {
        var response = context.Response;
        response.StatusCode = stored.Status!.Value;
        if (stored.ContentType is { } contentType)
            response.ContentType = contentType;
        if (stored.Location is { } location)
            response.Headers.Location = location;
        response.Headers["Idempotent-Replayed"] = "true";
        if (stored.Body is { Length: > 0 } body)
            await response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }
}
