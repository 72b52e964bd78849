using System.Security.Cryptography;

namespace Platform.Data.Artifacts.Encryption;

/// <summary>
/// Reads an artifact written by <see cref="ArtifactCipher"/> chunk by chunk. Every chunk is authenticated
/// before its bytes are handed out, and the last one only after the whole content's SHA-256 matched the key
/// the file is stored under, so a file swapped for another of the same tenant is refused too.
/// </summary>
internal sealed class DecryptingStream : Stream
{
    private readonly Stream _inner;
    private readonly AesGcm _gcm;
    private readonly byte[] _aad;
    private readonly string _expectedHash;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _sealed = new byte[ArtifactCipher.ChunkSize + ArtifactCipher.TagSize + 1];
    private readonly byte[] _plain = new byte[ArtifactCipher.ChunkSize];
    private readonly byte[] _nonce = new byte[12];
    private int _carried; // a byte read ahead to learn whether the previous chunk was the last
    private int _plainLength;
    private int _plainOffset;
    private long _index;
    private bool _finished;

    public DecryptingStream(Stream inner, ReadOnlySpan<byte> header, TenantDataKey key, Guid tenantId, string expectedHash)
    {
        _inner = inner;
        _gcm = new AesGcm(ArtifactCipher.FileKey(key, ArtifactCipher.Salt(header)), ArtifactCipher.TagSize);
        _aad = ArtifactCipher.AssociatedData(header, tenantId);
        _expectedHash = expectedHash;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_plainOffset == _plainLength && !_finished)
        {
            var want = _sealed.Length - _carried;
            var read = ArtifactCipher.Fill(_inner, _sealed.AsSpan(_carried, want));
            Open(_carried + read);
        }
        return Copy(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_plainOffset == _plainLength && !_finished)
        {
            var total = _carried;
            while (total < _sealed.Length)
            {
                var read = await _inner.ReadAsync(_sealed.AsMemory(total), cancellationToken);
                if (read == 0)
                    break;
                total += read;
            }
            Open(total);
        }
        return Copy(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Decrypts the chunk in the buffer (<paramref name="available"/> bytes, one beyond a full chunk if there is more).</summary>
    private void Open(int available)
    {
        var full = ArtifactCipher.ChunkSize + ArtifactCipher.TagSize;
        var last = available <= full;
        var sealedLength = last ? available : full;
        if (sealedLength < ArtifactCipher.TagSize)
            throw new InvalidDataException("The encrypted artifact is truncated.");
        var plainLength = sealedLength - ArtifactCipher.TagSize;
        ArtifactCipher.Nonce(_nonce, _index, last);
        try
        {
            _gcm.Decrypt(_nonce, _sealed.AsSpan(0, plainLength), _sealed.AsSpan(plainLength, ArtifactCipher.TagSize),
                _plain.AsSpan(0, plainLength), _aad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new InvalidDataException(
                "The artifact does not decrypt with this tenant's key: it was altered, cut short, or belongs to another tenant.", e);
        }
        _sha.AppendData(_plain, 0, plainLength);
        if (last)
        {
            var hash = Convert.ToHexStringLower(_sha.GetHashAndReset());
            if (hash != _expectedHash)
                throw new InvalidDataException($"The artifact stored as {_expectedHash} holds other content ({hash}).");
            _finished = true;
            _carried = 0;
        }
        else
        {
            _sealed[0] = _sealed[full];
            _carried = 1;
        }
        _index++;
        _plainLength = plainLength;
        _plainOffset = 0;
    }

    private int Copy(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer);
        _plainOffset += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gcm.Dispose();
            _sha.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
