using System.Security.Cryptography;

namespace Platform.Data.Artifacts.Encryption;

/// <summary>
/// Reads a plaintext artifact left by an install from before encryption: content addressing means its
/// SHA-256 must equal its key, which is checked when the end is reached (the last read throws otherwise).
/// </summary>
internal sealed class HashCheckingStream(Stream inner, ReadOnlyMemory<byte> start, string expectedHash) : Stream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private ReadOnlyMemory<byte> _start = start;
    private bool _checked;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!_start.IsEmpty)
            return Take(buffer);
        return Seen(buffer, inner.Read(buffer));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_start.IsEmpty)
            return Take(buffer.Span);
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Seen(buffer.Span, read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Take(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _start.Length);
        _start.Span[..n].CopyTo(buffer);
        _sha.AppendData(_start.Span[..n]);
        _start = _start[n..];
        return n;
    }

    private int Seen(Span<byte> buffer, int read)
    {
        if (read > 0)
        {
            _sha.AppendData(buffer[..read]);
        }
        else if (buffer.Length > 0 && !_checked)
        {
            _checked = true;
            var hash = Convert.ToHexStringLower(_sha.GetHashAndReset());
            if (hash != expectedHash)
                throw new InvalidDataException($"The unencrypted artifact stored as {expectedHash} holds other content ({hash}).");
        }
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
