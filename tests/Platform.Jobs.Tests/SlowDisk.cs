using System.Diagnostics;

namespace Platform.Jobs.Tests;

/// <summary>
/// A real file system whose syncs the test can hold: ext2 in a file on a second ext2 file system, each on
/// a loop device. While the outer one is frozen (fsfreeze), writes to the inner one land in the page cache
/// at once, but an fsync waits until the outer one thaws, since the inner disk's blocks cannot be written.
/// A disk that takes as long to sync as the test says, as the shared build machine's did under load
/// (fsync of a small file: 0.9-1.5 s at load 30, more while PostgreSQL restarted beside it). Needs root
/// (mount, fsfreeze) and loop devices.
/// </summary>
internal sealed class SlowDisk : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("platform-slow-disk-").FullName;
    private bool _outerMounted;
    private bool _innerMounted;

    private SlowDisk()
    {
    }

    /// <summary>The inner file system's mount point: files here sync only while the disk is not held.</summary>
    public string Path => System.IO.Path.Combine(_root, "inner");

    private string Outer => System.IO.Path.Combine(_root, "outer");

    public static bool Possible => Environment.UserName == "root" && File.Exists("/dev/loop-control");

    public static async Task<SlowDisk> MountAsync()
    {
        var disk = new SlowDisk();
        try
        {
            Directory.CreateDirectory(disk.Outer);
            Directory.CreateDirectory(disk.Path);
            var outerImage = System.IO.Path.Combine(disk._root, "outer.img");
            var innerImage = System.IO.Path.Combine(disk.Outer, "inner.img");
            await CreateImageAsync(outerImage, 64);
            await RunAsync("mount", "-o", "loop", outerImage, disk.Outer);
            disk._outerMounted = true;
            await CreateImageAsync(innerImage, 16);
            await RunAsync("mount", "-o", "loop", innerImage, disk.Path);
            disk._innerMounted = true;
            return disk;
        }
        catch
        {
            await disk.DisposeAsync();
            throw;
        }
    }

    /// <summary>From now on an fsync on <see cref="Path"/> waits (until <see cref="ReleaseSyncsAsync"/>).</summary>
    public Task HoldSyncsAsync() => RunAsync("fsfreeze", "-f", Outer);

    public Task ReleaseSyncsAsync() => RunAsync("fsfreeze", "-u", Outer);

    public async ValueTask DisposeAsync()
    {
        if (_outerMounted)
            await TryAsync("fsfreeze", "-u", Outer);
        if (_innerMounted && !await TryAsync("umount", Path))
            await TryAsync("umount", "-l", Path);
        if (_outerMounted && !await TryAsync("umount", Outer))
            await TryAsync("umount", "-l", Outer);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A lazily unmounted file system lets go of its folder later.
        }
    }

    private static async Task CreateImageAsync(string path, int megabytes)
    {
        await using (var image = new FileStream(path, FileMode.CreateNew))
            image.SetLength(megabytes * 1024L * 1024L);
        await RunAsync("mkfs.ext2", "-q", "-F", path);
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        var (code, error) = await ExecuteAsync(program, args);
        if (code != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {error}");
    }

    private static async Task<bool> TryAsync(string program, params string[] args) => (await ExecuteAsync(program, args)).Code == 0;

    private static async Task<(int Code, string Error)> ExecuteAsync(string program, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await error);
    }
}
