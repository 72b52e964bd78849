using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts.Encryption;

namespace Platform.Data.Artifacts;

/// <summary>
/// The artifact store in an S3-compatible bucket: objects {Prefix}tenants/{tenant}/{hash[0..2]}/{hash}, the
/// same layout and format as the local store (encrypted with the tenant's data key), so web and worker
/// hosts share nothing but the bucket. A file is encrypted into a local scratch file first (its name, the
/// plaintext's hash, is known only at the end), then uploaded whole or, from
/// <see cref="S3StorageOptions.MultipartThresholdBytes"/>, in parts; an object appears whole or not at all.
/// Reads stream from the response. Content addressing keeps objects immutable: a second write of the same
/// content finds the object and stores nothing.
/// </summary>
internal sealed class S3ArtifactStore(IOptions<StorageOptions> options, TenantKeyRing keys, IAmazonS3 s3) : IArtifactStore
{
    private const int BufferSize = 81920;

    private S3StorageOptions S3 => options.Value.S3;

    /// <summary>
    /// Streaming (aws-chunked) signatures only against AWS itself: S3-compatible services often store the
    /// chunk framing as content. Without them the SDK hashes the body before sending (it is a seekable file).
    /// </summary>
    private bool ChunkEncoding => string.IsNullOrEmpty(S3.ServiceUrl);

    private string Bucket => S3.Bucket!;

    internal string TenantPrefix(Guid tenantId) => $"{S3.Prefix}tenants/{tenantId:N}/";

    internal string KeyOf(Guid tenantId, string hash) => $"{TenantPrefix(tenantId)}{hash[..2]}/{ArtifactHash.Require(hash)}";

    public async Task<StoredArtifact> PutAsync(Guid tenantId, Stream content, CancellationToken cancellationToken = default)
    {
        var key = await keys.GetCurrentAsync(tenantId, cancellationToken);
        var scratch = Path.Combine(Path.GetFullPath(options.Value.Root!), "s3-staging");
        Directory.CreateDirectory(scratch);
        // Shared for reading: a multipart upload opens the file once per part.
        await using var file = new FileStream(Path.Combine(scratch, Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.Read, BufferSize, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var stored = await ArtifactCipher.EncryptAsync(content, file, key, tenantId, cancellationToken);
        await file.FlushAsync(cancellationToken);
        var objectKey = KeyOf(tenantId, stored.Hash);
        if (await ExistsAsync(objectKey, cancellationToken))
            return stored;
        if (file.Length >= S3.MultipartThresholdBytes)
            await UploadInPartsAsync(objectKey, file, cancellationToken);
        else
        {
            file.Position = 0;
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = Bucket, Key = objectKey, InputStream = file, AutoCloseStream = false,
                ContentType = "application/octet-stream", UseChunkEncoding = ChunkEncoding,
            }, cancellationToken);
        }
        return stored;
    }

    private async Task UploadInPartsAsync(string objectKey, FileStream file, CancellationToken cancellationToken)
    {
        var started = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = Bucket, Key = objectKey, ContentType = "application/octet-stream",
        }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            var partSize = S3.PartSizeBytes;
            for (long offset = 0, number = 1; offset < file.Length; offset += partSize, number++)
            {
                var size = Math.Min(partSize, file.Length - offset);
                // Each part streams from the scratch file: a part never sits in memory either.
                var part = await s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket, Key = objectKey, UploadId = started.UploadId, PartNumber = (int)number,
                    FilePath = file.Name, FilePosition = offset, PartSize = size, UseChunkEncoding = ChunkEncoding,
                }, cancellationToken);
                parts.Add(new PartETag((int)number, part.ETag));
            }
            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket, Key = objectKey, UploadId = started.UploadId, PartETags = parts,
            }, cancellationToken);
        }
        catch (Exception failure)
        {
            // Parts of an upload that never completes are invisible, but billed: give them back (a bucket
            // lifecycle rule for incomplete uploads catches what this cannot). The first failure is the one reported.
            try
            {
                await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = objectKey, UploadId = started.UploadId },
                    CancellationToken.None);
            }
            catch (AmazonS3Exception abort)
            {
                throw new AggregateException($"Uploading {objectKey} failed, and so did aborting the upload.", failure, abort);
            }
            throw;
        }
    }

    public async Task<Stream> OpenReadAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default)
    {
        var objectKey = KeyOf(tenantId, hash);
        GetObjectResponse response;
        try
        {
            response = await s3.GetObjectAsync(Bucket, objectKey, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"Artifact {hash} does not exist for this tenant.", hash);
        }
        try
        {
            return await ArtifactReader.OpenAsync(response.ResponseStream, keys, tenantId, hash, cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public Task<bool> ExistsAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default) =>
        ExistsAsync(KeyOf(tenantId, hash), cancellationToken);

    private async Task<bool> ExistsAsync(string objectKey, CancellationToken cancellationToken)
    {
        try
        {
            await s3.GetObjectMetadataAsync(Bucket, objectKey, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<bool> DeleteAsync(Guid tenantId, string hash, CancellationToken cancellationToken = default)
    {
        var objectKey = KeyOf(tenantId, hash);
        if (!await ExistsAsync(objectKey, cancellationToken))
            return false;
        await s3.DeleteObjectAsync(Bucket, objectKey, cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<string> ListAsync(Guid tenantId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var objectKey in KeysAsync(TenantPrefix(tenantId), cancellationToken))
        {
            var name = objectKey[(objectKey.LastIndexOf('/') + 1)..];
            if (ArtifactHash.IsValid(name))
                yield return name;
        }
    }

    public async Task<int> DeleteTenantAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var deleted = 0;
        var batch = new List<KeyVersion>();
        await foreach (var objectKey in KeysAsync(TenantPrefix(tenantId), cancellationToken))
        {
            batch.Add(new KeyVersion { Key = objectKey });
            if (batch.Count == 1000)
                deleted += await DeleteBatchAsync(batch, cancellationToken);
        }
        if (batch.Count > 0)
            deleted += await DeleteBatchAsync(batch, cancellationToken);
        return deleted;
    }

    private async Task<int> DeleteBatchAsync(List<KeyVersion> batch, CancellationToken cancellationToken)
    {
        var response = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = Bucket, Objects = [.. batch], Quiet = false },
            cancellationToken);
        if (response.DeleteErrors is { Count: > 0 } errors)
            throw new IOException($"Deleting {errors.Count} object(s) failed: {errors[0].Key}: {errors[0].Message}");
        var count = batch.Count;
        batch.Clear();
        return count;
    }

    private async IAsyncEnumerable<string> KeysAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, ContinuationToken = token },
                cancellationToken);
            foreach (var item in page.S3Objects ?? [])
                yield return item.Key;
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }
}
