using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts;
using Platform.Data.Artifacts.Encryption;
using Platform.Testing;

namespace Platform.Data.Tests.Artifacts;

/// <summary>The S3 store against a real S3-compatible server (s3rver) started for the test.</summary>
public sealed class S3ArtifactStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _scratch = new();
    private readonly Guid _tenant = Guid.NewGuid();
    private S3StandIn _s3 = null!;
    private PostgresDatabase _database = null!;
    private IAmazonS3 _client = null!;
    private S3ArtifactStore _store = null!;
    private StorageOptions _options = null!;

    public async Task InitializeAsync()
    {
        _s3 = await S3StandIn.StartAsync();
        _database = await PostgresDatabase.CreateAsync();
        _options = new StorageOptions
        {
            Root = _scratch.Path,
            Provider = StorageProvider.S3,
            MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            S3 = new S3StorageOptions
            {
                ServiceUrl = _s3.Endpoint, Bucket = S3StandIn.Bucket, AccessKey = S3StandIn.AccessKey, SecretKey = S3StandIn.SecretKey,
                Prefix = "install-a/", MultipartThresholdBytes = 6L * 1024 * 1024, PartSizeBytes = 5L * 1024 * 1024,
            },
        };
        _client = S3Client.Create(_options.S3);
        var keys = new TenantKeyRing(_database.DataSource,
            new ConfiguredMasterKeys(Options.Create(_options), NullLogger<ConfiguredMasterKeys>.Instance), TimeProvider.System);
        _store = new S3ArtifactStore(Options.Create(_options), keys, _client);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _database.DisposeAsync();
        await _s3.DisposeAsync();
        _scratch.Dispose();
    }

    private static MemoryStream Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    private async Task<byte[]> ReadAsync(Guid tenant, string hash)
    {
        await using var stream = await _store.OpenReadAsync(tenant, hash);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<byte[]> RawObjectAsync(string key)
    {
        using var response = await _client.GetObjectAsync(S3StandIn.Bucket, key);
        var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task PutAsync_Csv_ObjectUnderTheLocalLayoutHoldsNoPlaintext()
    {
        var csv = "text,label\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"quarterly numbers leak {i},finance\n"));

        var stored = await _store.PutAsync(_tenant, Bytes(csv));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(csv))), stored.Hash);
        var key = $"install-a/tenants/{_tenant:N}/{stored.Hash[..2]}/{stored.Hash}";
        var raw = await RawObjectAsync(key);
        Assert.True(raw.AsSpan().StartsWith("PAE1"u8));
        Assert.Equal(-1, raw.AsSpan().IndexOf("quarterly numbers"u8));
        Assert.Equal(csv, Encoding.UTF8.GetString(await ReadAsync(_tenant, stored.Hash)));
        Assert.Empty(Directory.EnumerateFiles(_scratch.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutAsync_LargerThanThreshold_UploadedInPartsAndRoundTrips()
    {
        var data = new byte[13 * 1024 * 1024 + 7];
        new Random(11).NextBytes(data);

        var stored = await _store.PutAsync(_tenant, new MemoryStream(data));

        Assert.Equal(data.Length, stored.Length);
        var metadata = await _client.GetObjectMetadataAsync(S3StandIn.Bucket, _store.KeyOf(_tenant, stored.Hash));
        // 13 MiB encrypted, over the 6 MiB threshold: sent as three 5 MiB parts (s3rver's ETag does not show the parts;
        // AWS's would end in "-3"). The object is the whole encrypted file.
        var chunks = (data.Length + ArtifactCipher.ChunkSize - 1) / ArtifactCipher.ChunkSize;
        Assert.Equal(ArtifactCipher.HeaderSize + data.Length + chunks * ArtifactCipher.TagSize, metadata.ContentLength);
        Assert.Equal(data, await ReadAsync(_tenant, stored.Hash));
    }

    [Fact]
    public async Task OpenReadAsync_ObjectCopiedFromAnotherTenant_FailsToDecrypt()
    {
        var other = Guid.NewGuid();
        await _store.PutAsync(other, Bytes("the other tenant writes too"));
        var stored = await _store.PutAsync(_tenant, Bytes("tenant A only"));
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = S3StandIn.Bucket, Key = _store.KeyOf(other, stored.Hash),
            InputStream = new MemoryStream(await RawObjectAsync(_store.KeyOf(_tenant, stored.Hash))), UseChunkEncoding = false,
        });

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(other, stored.Hash));
    }

    [Fact]
    public async Task Store_ExistsListDeleteAndDeleteTenant_KeepOtherTenantsApart()
    {
        var other = Guid.NewGuid();
        var one = await _store.PutAsync(_tenant, Bytes("one"));
        var again = await _store.PutAsync(_tenant, Bytes("one"));
        var two = await _store.PutAsync(_tenant, Bytes("two"));
        var kept = await _store.PutAsync(other, Bytes("other"));

        Assert.Equal(one.Hash, again.Hash);
        Assert.True(await _store.ExistsAsync(_tenant, one.Hash));
        Assert.False(await _store.ExistsAsync(other, one.Hash));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync(other, one.Hash));
        Assert.Equal(new[] { one.Hash, two.Hash }.Order(), (await _store.ListAsync(_tenant).ToListAsync()).Order());

        Assert.True(await _store.DeleteAsync(_tenant, one.Hash));
        Assert.False(await _store.DeleteAsync(_tenant, one.Hash));
        Assert.Equal(1, await _store.DeleteTenantAsync(_tenant));

        Assert.Empty(await _store.ListAsync(_tenant).ToListAsync());
        Assert.Equal([kept.Hash], await _store.ListAsync(other).ToListAsync());
    }

    [Fact]
    public void Validate_S3WithoutBucket_ClearError()
    {
        var options = new StorageOptions { Root = "/x", Provider = StorageProvider.S3 };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("Storage:S3:Bucket is not set"));
    }

    [Fact]
    public void MasterKeys_S3WithoutMasterKey_Refused()
    {
        var options = new StorageOptions { Root = _scratch.Path, Provider = StorageProvider.S3, S3 = new S3StorageOptions { Bucket = "b" } };

        var error = Assert.Throws<InvalidOperationException>(() =>
            new ConfiguredMasterKeys(Options.Create(options), NullLogger<ConfiguredMasterKeys>.Instance));

        Assert.Contains("Storage:MasterKey is required", error.Message);
    }
}
