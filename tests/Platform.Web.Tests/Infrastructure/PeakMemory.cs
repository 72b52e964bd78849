namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// How far this process's resident memory rose while some work ran: Linux's high-water mark (VmHWM),
/// reset through /proc/self/clear_refs before the work, against the resident size (VmRSS) at the
/// start. The portal runs in this process (the test server), so this is what an attack costs it.
/// Tests that measure run in the <see cref="MemoryCollection"/>, alone, so no other test's work counts.
/// </summary>
internal static class PeakMemory
{
    public const long Budget = 256L * 1024 * 1024;

    public static async Task<long> GrowthAsync(Func<Task> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // "5" resets the peak resident set size to the current one (proc(5), clear_refs).
        await File.WriteAllTextAsync("/proc/self/clear_refs", "5");
        var start = Read("VmRSS:");
        await work();
        return Read("VmHWM:") - start;
    }

    private static long Read(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "memory";
}

/// <summary>
/// A request body written as it is sent, never held whole: what an attacker's script streams. The
/// length is declared, as a client's Content-Length is, so limits that look at it apply.
/// </summary>
internal sealed class GeneratedContent : HttpContent
{
    private readonly long _length;
    private readonly Func<Stream, Task> _write;

    public GeneratedContent(long length, Func<Stream, Task> write, string mediaType = "application/octet-stream")
    {
        (_length, _write) = (length, write);
        Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(mediaType);
    }

    /// <summary><paramref name="prefix"/>, then <paramref name="repeated"/> <paramref name="count"/> times, then <paramref name="suffix"/>.</summary>
    public static GeneratedContent Repeating(byte[] prefix, byte repeated, long count, byte[] suffix) =>
        new(prefix.Length + count + suffix.Length, async stream =>
        {
            await stream.WriteAsync(prefix);
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, repeated);
            for (var left = count; left > 0; left -= chunk.Length)
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
            await stream.WriteAsync(suffix);
        });

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => _write(stream);

    protected override bool TryComputeLength(out long length)
    {
        // A negative length: sent chunked, as a client that declares nothing does.
        length = _length;
        return _length >= 0;
    }
}
