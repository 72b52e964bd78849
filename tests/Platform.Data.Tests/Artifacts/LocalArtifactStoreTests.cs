using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts;
using Platform.Data.Artifacts.Encryption;
using Platform.Testing;

namespace Platform.Data.Tests.Artifacts;

public sealed class LocalArtifactStoreTests : IAsyncLifetime
{
    private static readonly string MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly TempDirectory _root = new();
    private readonly Guid _tenant = Guid.NewGuid();
    private PostgresDatabase _database = null!;
    private LocalArtifactStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _store = Store(MasterKey);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        _root.Dispose();
    }

    /// <summary>A store over the same root and database, as another process configured with these master keys would open it.</summary>
    private LocalArtifactStore Store(string masterKey, params string[] previous) => new(Options(masterKey, previous), KeyRing(masterKey, previous));

    private TenantKeyRing KeyRing(string masterKey, params string[] previous) =>
        new(_database.DataSource, new ConfiguredMasterKeys(Options(masterKey, previous), NullLogger<ConfiguredMasterKeys>.Instance), TimeProvider.System);

    private IOptions<StorageOptions> Options(string? masterKey, string[] previous) =>
        Microsoft.Extensions.Options.Options.Create(new StorageOptions { Root = _root.Path, MasterKey = masterKey, PreviousMasterKeys = previous });

    private static MemoryStream Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    private Task<string> ReadAsync(Guid tenant, string hash) => ReadAsync(_store, tenant, hash);

    private static async Task<string> ReadAsync(IArtifactStore store, Guid tenant, string hash)
    {
        await using var stream = await store.OpenReadAsync(tenant, hash);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task PutAsync_Content_StoredUnderItsSha256()
    {
        var stored = await _store.PutAsync(_tenant, Bytes("hello, artifacts"));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("hello, artifacts"))), stored.Hash);
        Assert.Equal(16, stored.Length);
        Assert.Equal("hello, artifacts", await ReadAsync(_tenant, stored.Hash));
        Assert.Equal([$"tenants/{_tenant:N}/{stored.Hash[..2]}/{stored.Hash}"], _root.Files());
    }

    [Fact]
    public async Task PutAsync_SameContentTwice_StoresOneFile()
    {
        var first = await _store.PutAsync(_tenant, Bytes("same"));
        var second = await _store.PutAsync(_tenant, Bytes("same"));

        Assert.Equal(first.Hash, second.Hash);
        Assert.Single(_root.Files());
    }

    [Fact]
    public async Task PutAsync_LargeContent_RoundTripsExactly()
    {
        var data = new byte[1_000_003];
        new Random(5).NextBytes(data);

        var stored = await _store.PutAsync(_tenant, new MemoryStream(data));

        await using var read = await _store.OpenReadAsync(_tenant, stored.Hash);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task PutAsync_StreamFailsMidway_LeavesNoFile()
    {
        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync(_tenant, new FailingStream(100_000)));

        Assert.Empty(_root.Files());
    }

    [Fact]
    public async Task OpenReadAsync_OtherTenant_NotFound()
    {
        var stored = await _store.PutAsync(_tenant, Bytes("private"));

        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync(Guid.NewGuid(), stored.Hash));
        Assert.False(await _store.ExistsAsync(Guid.NewGuid(), stored.Hash));
        Assert.True(await _store.ExistsAsync(_tenant, stored.Hash));
    }

    [Fact]
    public async Task DeleteAsync_Stored_RemovesFile()
    {
        var stored = await _store.PutAsync(_tenant, Bytes("gone soon"));

        Assert.True(await _store.DeleteAsync(_tenant, stored.Hash));

        Assert.False(await _store.ExistsAsync(_tenant, stored.Hash));
        Assert.False(await _store.DeleteAsync(_tenant, stored.Hash));
        Assert.Empty(_root.Files());
    }

    [Theory]
    [InlineData("../../../etc/passwd")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("abc")]
    public async Task OpenReadAsync_MalformedKey_Throws(string hash)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.OpenReadAsync(_tenant, hash));
    }

    private byte[] Raw(Guid tenant, string hash) => File.ReadAllBytes(_store.PathOf(tenant, hash));

    [Fact]
    public async Task PutAsync_Content_RawFileHoldsNoPlaintext()
    {
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"the quick brown fox {i},label\n"));

        var stored = await _store.PutAsync(_tenant, Bytes(text));

        var raw = Raw(_tenant, stored.Hash);
        Assert.True(raw.AsSpan().StartsWith("PAE1"u8));
        Assert.Equal(-1, raw.AsSpan().IndexOf("quick brown fox"u8));
        // Header, then 64 KiB chunks each with its 16-byte tag.
        var chunks = (text.Length + ArtifactCipher.ChunkSize - 1) / ArtifactCipher.ChunkSize;
        Assert.Equal(ArtifactCipher.HeaderSize + text.Length + chunks * ArtifactCipher.TagSize, raw.Length);
        Assert.Equal(text, await ReadAsync(_tenant, stored.Hash));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ArtifactCipher.ChunkSize - 1)]
    [InlineData(ArtifactCipher.ChunkSize)]
    [InlineData(ArtifactCipher.ChunkSize + 1)]
    [InlineData(3 * ArtifactCipher.ChunkSize)]
    public async Task PutAsync_ChunkBoundaries_RoundTripExactly(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);

        var stored = await _store.PutAsync(_tenant, new MemoryStream(data));

        Assert.Equal((Convert.ToHexStringLower(SHA256.HashData(data)), (long)size), (stored.Hash, stored.Length));
        await using var read = await _store.OpenReadAsync(_tenant, stored.Hash);
        var copy = new MemoryStream();
        // One byte at a time through the synchronous path, which must agree with the async one.
        int b;
        while ((b = read.ReadByte()) >= 0)
            copy.WriteByte((byte)b);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task OpenReadAsync_FileCopiedFromAnotherTenant_FailsToDecrypt()
    {
        var other = Guid.NewGuid();
        await _store.PutAsync(other, Bytes("the other tenant has a key too"));
        var stored = await _store.PutAsync(_tenant, Bytes("tenant A's secret rows"));
        var target = _store.PathOf(other, stored.Hash);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(_store.PathOf(_tenant, stored.Hash), target);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(other, stored.Hash));

        Assert.Contains("does not decrypt", error.Message);
    }

    [Fact]
    public async Task OpenReadAsync_FileCopiedToTenantWithoutKeys_Refused()
    {
        var stored = await _store.PutAsync(_tenant, Bytes("tenant A's secret rows"));
        var other = Guid.NewGuid();
        var target = _store.PathOf(other, stored.Hash);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(_store.PathOf(_tenant, stored.Hash), target);

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(other, stored.Hash));
    }

    [Fact]
    public async Task OpenReadAsync_FileSwappedWithinTenant_RefusedAtEnd()
    {
        var first = await _store.PutAsync(_tenant, Bytes("first file"));
        var second = await _store.PutAsync(_tenant, Bytes("second file"));
        File.Copy(_store.PathOf(_tenant, first.Hash), _store.PathOf(_tenant, second.Hash), overwrite: true);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(_tenant, second.Hash));

        Assert.Contains("holds other content", error.Message);
    }

    [Fact]
    public async Task OpenReadAsync_TruncatedAtChunkBoundary_Refused()
    {
        var data = new byte[2 * ArtifactCipher.ChunkSize + 10];
        new Random(3).NextBytes(data);
        var stored = await _store.PutAsync(_tenant, new MemoryStream(data));
        var path = _store.PathOf(_tenant, stored.Hash);
        await using (var file = new FileStream(path, FileMode.Open))
            file.SetLength(ArtifactCipher.HeaderSize + 2L * (ArtifactCipher.ChunkSize + ArtifactCipher.TagSize));

        await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await using var read = await _store.OpenReadAsync(_tenant, stored.Hash);
            await read.CopyToAsync(Stream.Null);
        });
    }

    [Fact]
    public async Task OpenReadAsync_OneBitFlipped_Refused()
    {
        var stored = await _store.PutAsync(_tenant, Bytes("integrity matters"));
        var path = _store.PathOf(_tenant, stored.Hash);
        var raw = await File.ReadAllBytesAsync(path);
        raw[ArtifactCipher.HeaderSize + 3] ^= 1;
        await File.WriteAllBytesAsync(path, raw);

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(_tenant, stored.Hash));
    }

    [Fact]
    public async Task RewrapAllAsync_NewMasterKey_FilesUnchangedAndReadableWithNewKeyOnly()
    {
        var stored = await _store.PutAsync(_tenant, Bytes("survives a master key rotation"));
        var rawBefore = Raw(_tenant, stored.Hash);
        var newMaster = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        var rewrapped = await KeyRing(newMaster, MasterKey).RewrapAllAsync(CancellationToken.None);

        Assert.Equal(1, rewrapped);
        Assert.Equal(rawBefore, Raw(_tenant, stored.Hash));
        Assert.Equal("survives a master key rotation", await ReadAsync(Store(newMaster), _tenant, stored.Hash));
        var stale = await Assert.ThrowsAsync<InvalidOperationException>(() => ReadAsync(Store(MasterKey), _tenant, stored.Hash));
        Assert.Contains("neither Storage:MasterKey nor in Storage:PreviousMasterKeys", stale.Message);
        Assert.Equal(0, await KeyRing(newMaster).RewrapAllAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OpenReadAsync_WrongMasterKey_Refused()
    {
        var stored = await _store.PutAsync(_tenant, Bytes("not for other installs"));

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ReadAsync(Store(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), _tenant, stored.Hash));
    }

    [Fact]
    public async Task RotateTenantKeyAsync_NewFilesUseNewVersion_OldFilesStillRead()
    {
        var old = await _store.PutAsync(_tenant, Bytes("written with version 1"));
        var keys = KeyRing(MasterKey);
        var store = new LocalArtifactStore(Options(MasterKey, []), keys);

        Assert.Equal(2, await keys.RotateTenantKeyAsync(_tenant, CancellationToken.None));
        var fresh = await store.PutAsync(_tenant, Bytes("written with version 2"));

        Assert.Equal(1, ArtifactCipher.ReadKeyVersion(Raw(_tenant, old.Hash)));
        Assert.Equal(2, ArtifactCipher.ReadKeyVersion(Raw(_tenant, fresh.Hash)));
        Assert.Equal("written with version 1", await ReadAsync(store, _tenant, old.Hash));
        Assert.Equal("written with version 2", await ReadAsync(store, _tenant, fresh.Hash));
    }

    [Fact]
    public async Task OpenReadAsync_PlaintextFromOlderInstall_ReadsThenEncryptLegacyEncryptsIt()
    {
        var content = Encoding.UTF8.GetBytes("stored in the clear by an older version");
        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        var path = _store.PathOf(_tenant, hash);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);
        var encrypted = await _store.PutAsync(_tenant, Bytes("already encrypted"));

        Assert.Equal("stored in the clear by an older version", await ReadAsync(_tenant, hash));
        Assert.Equal(1, await _store.EncryptLegacyFilesAsync());

        Assert.Equal(-1, Raw(_tenant, hash).AsSpan().IndexOf("in the clear"u8));
        Assert.Equal("stored in the clear by an older version", await ReadAsync(_tenant, hash));
        Assert.Equal("already encrypted", await ReadAsync(_tenant, encrypted.Hash));
        Assert.Equal(0, await _store.EncryptLegacyFilesAsync());
    }

    [Fact]
    public async Task OpenReadAsync_PlaintextThatIsNotItsHash_Refused()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData("what the name promises"u8));
        var path = _store.PathOf(_tenant, hash);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "something else");

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(_tenant, hash));
    }

    [Fact]
    public async Task PutAsync_NoMasterKeyConfigured_CreatesOwnerOnlyKeyFileAndReusesIt()
    {
        var store = new LocalArtifactStore(Options(null, []), KeyRing(null!));
        var stored = await store.PutAsync(_tenant, Bytes("demo install"));

        var keyFile = Path.Combine(_root.Path, "keys", "master.key");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal("demo install", await ReadAsync(new LocalArtifactStore(Options(null, []), KeyRing(null!)), _tenant, stored.Hash));
    }

    [Fact]
    public async Task DeleteTenantAsync_RemovesEveryFileOfThatTenantOnly()
    {
        var other = Guid.NewGuid();
        await _store.PutAsync(_tenant, Bytes("one"));
        await _store.PutAsync(_tenant, Bytes("two"));
        var kept = await _store.PutAsync(other, Bytes("other"));

        Assert.Equal(2, await _store.DeleteTenantAsync(_tenant));

        Assert.Empty(await _store.ListAsync(_tenant).ToListAsync());
        Assert.Equal([kept.Hash], await _store.ListAsync(other).ToListAsync());
    }

    [Fact]
    public void Validate_MasterKeyNotThirtyTwoBytes_ClearError()
    {
        var options = new StorageOptions { Root = "/x", MasterKey = Convert.ToBase64String(new byte[16]) };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("Storage:MasterKey must be 32 bytes"));
    }

    /// <summary>Yields some bytes, then fails like a dropped upload connection.</summary>
    private sealed class FailingStream(int failAfter) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter)
            {
                throw new IOException("connection reset");
            }
            var n = Math.Min(count, failAfter - _position);
            Array.Fill(buffer, (byte)'x', offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
