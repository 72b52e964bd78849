using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Platform.Testing;

/// <summary>
/// A local S3-compatible server (s3rver, installed from npm into tests/tools/s3rver by ./platform setup)
/// on a free loopback port, with one empty bucket, its data in a temp directory; stopped and deleted on
/// dispose. The credentials are s3rver's fixed ones.
/// </summary>
public sealed class S3StandIn : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string Bucket = "artifacts";

    private readonly Process _process;
    private readonly TempDirectory _data;

    private S3StandIn(Process process, TempDirectory data, string endpoint)
    {
        _process = process;
        _data = data;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    /// <summary>Where the server keeps the bucket's objects (tests read the raw bytes there).</summary>
    public string DataDirectory => _data.Path;

    /// <summary>Configuration keys that point the artifact store at this server.</summary>
    public Dictionary<string, string?> Settings(string prefix = "") => new()
    {
        ["Storage:Provider"] = "S3",
        ["Storage:S3:ServiceUrl"] = Endpoint,
        ["Storage:S3:Bucket"] = Bucket,
        ["Storage:S3:AccessKey"] = AccessKey,
        ["Storage:S3:SecretKey"] = SecretKey,
        ["Storage:S3:Prefix"] = prefix,
    };

    public static async Task<S3StandIn> StartAsync()
    {
        var script = Script();
        var data = new TempDirectory();
        var port = FreePort();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { script, "-d", data.Path, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--silent", "--configure-bucket", Bucket },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var endpoint = $"http://127.0.0.1:{port}";
        // Ready when it accepts connections; a server that exited says so instead of timing out.
        for (var attempt = 0; ; attempt++)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"s3rver exited with {process.ExitCode} before listening.");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return new S3StandIn(process, data, endpoint);
            }
            catch (SocketException) when (attempt < 300)
            {
                await Task.Delay(100);
            }
        }
    }

    private static string Script()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var script = Path.Combine(directory.FullName, "tests", "tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
            if (File.Exists(script))
                return script;
            if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
                throw new InvalidOperationException($"s3rver is not installed under {directory.FullName}/tests/tools/s3rver: run ./platform setup (npm ci there).");
        }
        throw new InvalidOperationException("The repository root (Platform.sln) was not found above the test binaries.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _data.Dispose();
    }
}
