using System.Diagnostics;

namespace Platform.Training.Tests.Cli;

public sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>Runs the built platform-cli.dll (copied next to the tests by the project reference).</summary>
/// <remarks>
/// The CLI tests train in their own processes, so they share none of this process's libtorch state (the
/// generator, the thread count) and run beside other test classes, not in the serial trainer collection,
/// where they were 70 s of its 100 on a loaded machine (bench/RESULTS.md, "Suite time").
/// </remarks>
public static class CliProcess
{
    public static CliResult Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "platform-cli.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return new CliResult(process.ExitCode, output, error.Result);
    }
}
