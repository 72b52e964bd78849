using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts;
using Platform.Testing;

namespace Platform.Data.Tests.Artifacts;

public sealed class LocalArtifactStoreTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly LocalArtifactStore _store;
    private readonly Guid _tenant = Guid.NewGuid();

    public LocalArtifactStoreTests()
    {
        _store = new LocalArtifactStore(Options.Create(new StorageOptions { Root = _root.Path }));
    }

    public void Dispose() => _root.Dispose();

    private static MemoryStream Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    private async Task<string> ReadAsync(Guid tenant, string hash)
    {
        await using var stream = await _store.OpenReadAsync(tenant, hash);
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
