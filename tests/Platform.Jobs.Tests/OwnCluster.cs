using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Platform.Jobs.Tests;

/// <summary>
/// A PostgreSQL cluster of the test's own, for tests that restart the server: the shared test server
/// must stay up for every other test. As root it runs as the postgres user (PostgreSQL refuses root).
/// </summary>
public sealed class OwnCluster : IAsyncDisposable
{
    private readonly string _bin = Environment.GetEnvironmentVariable("PLATFORM_PG_BIN") ?? "/usr/lib/postgresql/15/bin";
    private readonly string _dir = Directory.CreateTempSubdirectory("platform-own-pg-").FullName;

    public int Port { get; } = FreePort();

    public string ServerConnectionString => $"Host=127.0.0.1;Port={Port};Database=postgres;Username=postgres;Include Error Detail=true";

    public async Task StartAsync()
    {
        if (!File.Exists(Path.Combine(_dir, "data", "PG_VERSION")))
        {
            Directory.CreateDirectory(Path.Combine(_dir, "data"));
            if (Environment.UserName == "root")
                await RunAsync("chown", "-R", "postgres:postgres", _dir);
            await RunAsPostgresAsync(Path.Combine(_bin, "initdb"), "-D", Path.Combine(_dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8");
        }
        string[] start = [Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"];
        // As root, the server runs at the priority of the tests' worker processes (WorkerProcesses.Start):
        // on a build machine at load 60-100 its backends were scheduled late enough to move the reported
        // ends of runs by a fifth of a second, which the chaos test measures against its kills.
        if (Environment.UserName == "root")
            await RunAsync("nice", ["-n", "-10", "runuser", "-u", "postgres", "--", .. start]);
        else
            await RunAsync(start[0], start[1..]);
    }

    /// <summary>A fast shutdown (every connection dropped) followed by a start, as in a failover or an upgrade.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    /// <summary>
    /// Stops the server: "fast" drops every connection and shuts down cleanly; "immediate" is a crash
    /// (no checkpoint, recovery at the next start).
    /// </summary>
    public Task StopAsync(string mode = "fast") =>
        RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", mode, "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        await RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");
        Directory.Delete(_dir, recursive: true);
    }

    private Task RunAsPostgresAsync(string program, params string[] args) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : RunAsync(program, args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {await error}{await output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
