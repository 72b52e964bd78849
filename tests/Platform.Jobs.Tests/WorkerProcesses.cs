using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.Jobs.Tests;

/// <summary>
/// Starts platform-worker processes for a test and kills whatever is left at the end. A worker's spool
/// folder follows its name (root/spool/{name}), so a worker restarted under the same name finds what
/// its killed predecessor left there, as on a real machine.
/// </summary>
public sealed class WorkerProcesses : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly ConcurrentQueue<string> _output = new();

    public Process? Last => _processes.Count > 0 ? _processes[^1] : null;

    /// <summary>The workers' log lines, most recent last (for a failing test's message).</summary>
    public IEnumerable<string> Output => _output;

    /// <param name="nice">
    /// A CPU priority above the machine's other work (a negative nice value; root only, ignored otherwise):
    /// on a shared build machine at load 60-100 a worker process starved of CPU could neither renew its
    /// lease nor act on its fence for seconds, and the chaos test then measured the machine's load, not
    /// the faults it injects.
    /// </param>
    public Process Start(string connectionString, string root, string name, IReadOnlyDictionary<string, string>? settings = null,
        int? nice = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "platform-worker.dll");
        // nice execs dotnet, so the process started is the worker itself (a kill reaches it).
        (string File, string[] Args) command = nice is { } priority && Environment.UserName == "root"
            ? ("nice", ["-n", priority.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet", dll])
            : ("dotnet", [dll]);
        var info = new ProcessStartInfo(command.File, command.Args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ConnectionStrings__Platform"] = connectionString,
                ["Data__Migrations"] = "Check",
                ["Storage__Root"] = Path.Combine(root, "store"),
                ["Training__WorkDirectory"] = Path.Combine(root, "work"),
                ["Worker__Name"] = name,
                ["Worker__SpoolDirectory"] = Path.Combine(root, "spool"),
                // A short lease keeps the tests quick; the mechanism is the same as with the default.
                ["Worker__Lease"] = "00:00:10",
                ["Worker__RenewEvery"] = "00:00:00.500",
                ["Worker__RecoverEvery"] = "00:00:00.500",
                ["Retry__Backoff"] = "00:00:01",
                ["Retry__BackoffCap"] = "00:00:04",
                ["DOTNET_ENVIRONMENT"] = "Production",
            },
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => Keep(name, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(name, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    /// <summary>
    /// SIGKILL, at once. Not <c>Process.Kill(entireProcessTree: true)</c>: on Unix that first SIGSTOPs the
    /// process, then reads every process on the machine to find its children, and only then kills it. On
    /// the loaded build machine that walk took 3-10 s, during which the worker was frozen (no step, no
    /// renewal, no spool write), so the chaos test saw runs "billed 3-8 s before their kill" (seeds 3333
    /// and 5555) that had in fact been stopped that long. A worker has no children (nice execs dotnet).
    /// Returns when the signal was sent.
    /// </summary>
    public static DateTime Kill(Process process)
    {
        process.Kill();
        return DateTime.UtcNow;
    }

    public void Dispose()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
            process.Kill(entireProcessTree: true);
    }

    private void Keep(string name, string? line)
    {
        if (line is null)
            return;
        _output.Enqueue($"[{name}] {line}");
        while (_output.Count > 5000)
            _output.TryDequeue(out _);
    }
}
