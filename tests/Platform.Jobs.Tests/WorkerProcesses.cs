using System.Diagnostics;

namespace Platform.Jobs.Tests;

/// <summary>Starts platform-worker processes for a test and kills whatever is left at the end.</summary>
public sealed class WorkerProcesses : IDisposable
{
    private readonly List<Process> _processes = [];

    public Process? Last => _processes.Count > 0 ? _processes[^1] : null;

    public Process Start(string connectionString, string root, string name)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "platform-worker.dll");
        var info = new ProcessStartInfo("dotnet", [dll])
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
                // A short lease keeps the tests quick; the mechanism is the same as with the default.
                ["Worker__Lease"] = "00:00:10",
                ["Worker__RenewEvery"] = "00:00:00.500",
                ["Worker__RecoverEvery"] = "00:00:00.500",
                ["DOTNET_ENVIRONMENT"] = "Production",
            },
        };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
            process.Kill(entireProcessTree: true);
    }
}
