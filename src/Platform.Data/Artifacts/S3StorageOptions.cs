using System.ComponentModel.DataAnnotations;

namespace Platform.Data.Artifacts;

/// <summary>Section "Storage:S3": the bucket the S3-compatible artifact store writes to (Storage:Provider = S3).</summary>
public sealed class S3StorageOptions
{
    /// <summary>The endpoint of an S3-compatible service (MinIO, Ceph, R2, a local stand-in); unset for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The AWS region (or what the service expects in signatures); default us-east-1.</summary>
    public string Region { get; set; } = "us-east-1";

    public string? Bucket { get; set; }

    /// <summary>Prepended to every object key (several installs in one bucket).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Static credentials; unset, the AWS SDK's default chain (environment, instance role, ...) is used.</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Path-style URLs (bucket in the path): what most S3-compatible services need. Default: true with a ServiceUrl.</summary>
    public bool? ForcePathStyle { get; set; }

    /// <summary>Files at least this large are uploaded in parts (multipart upload).</summary>
    [Range(5L * 1024 * 1024, long.MaxValue)]
    public long MultipartThresholdBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Size of each part of a multipart upload (S3's minimum is 5 MiB).</summary>
    [Range(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)]
    public long PartSizeBytes { get; set; } = 8L * 1024 * 1024;

    public override string ToString() =>
        $"S3 (endpoint {ServiceUrl ?? "AWS"}, bucket {Bucket}, prefix '{Prefix}', credentials {(string.IsNullOrEmpty(AccessKey) ? "default chain" : "static")})";
}
