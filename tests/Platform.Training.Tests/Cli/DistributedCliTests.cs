using System.Diagnostics;
using Platform.Training.Tests.Common;
using Platform.Training.Tests.Distributed;

namespace Platform.Training.Tests.Cli;

/// <summary>`train --rank R --world-size N --master host:port`: ranks as separate processes, as started by hand across machines.</summary>
public sealed class DistributedCliTests
{
    [Fact]
    public async Task Train_TwoRankProcesses_RankZeroWritesTheModelAfterTheSingleProcessSteps()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 10);
        var master = $"127.0.0.1:{Ranks.NextPort()}";

        var ranks = Enumerable.Range(0, 2).Select(rank => Task.Run(() => CliProcess.Run(dir.Path, "train", "--data", "images",
            "--base", "cnn-28-grey", "--out", $"rank{rank}", "--epochs", "2", "--batch-size", "6", "--threads", "1",
            "--rank", rank.ToString(), "--world-size", "2", "--master", master, "--dist-timeout", "60"))).ToArray();
        // The limit is a hang guard: WaitAsync throws when a rank never ends.
        var results = await Task.WhenAll(ranks).WaitAsync(TimeSpan.FromMinutes(4));

        var (zero, one) = (results[0], results[1]);
        Assert.True(zero.ExitCode == 0, zero.Error);
        Assert.True(one.ExitCode == 0, one.Error);
        // 20 images, 2 for validation: 18 in global batches of 6, as one process would take them.
        Assert.Contains("step 6/6 epoch 2/2", zero.Error);
        Assert.Contains("model written to rank0", zero.Output);
        Assert.Contains("rank 1 of 2: trained 6 steps, 2 epochs", one.Output);
        Assert.True(File.Exists(dir.File("rank0/model.safetensors")));
        Assert.False(Directory.Exists(dir.File("rank1")));
    }

    [Fact]
    public async Task Train_PeerProcessKilled_TheOtherRankExitsInterruptedWithOneLine()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 10);
        var master = $"127.0.0.1:{Ranks.NextPort()}";
        string[] Arguments(int rank) => ["train", "--data", "images", "--base", "cnn-28-grey", "--out", $"rank{rank}",
            "--epochs", "500", "--batch-size", "6", "--threads", "1", "--patience", "0",
            "--rank", rank.ToString(), "--world-size", "2", "--master", master, "--dist-timeout", "60"];

        var zero = Task.Run(() => CliProcess.Run(dir.Path, Arguments(0)));
        using (var one = StartCli(dir.Path, Arguments(1)))
        {
            // Killed once it is training (it has joined the group), as a worker machine that goes away.
            await one.Joined.Task.WaitAsync(TimeSpan.FromMinutes(2));
            one.Process.Kill(entireProcessTree: true);
            await one.Process.WaitForExitAsync();
        }

        var result = await zero.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(75, result.ExitCode);
        var error = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        Assert.StartsWith("platform-cli: interrupted: rank 0 of 2:", error);
        Assert.False(File.Exists(dir.File("rank0/model.safetensors")));
    }

    [Fact]
    public void Train_RankWithoutMaster_FailsWithOneLine()
    {
        using var dir = new TestDirectory();
        TestData.WriteImageFolders(dir.File("images"), perLabel: 2);

        var result = CliProcess.Run(dir.Path, "train", "--data", "images", "--base", "cnn-28-grey", "--out", "m", "--rank", "1", "--world-size", "2");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("platform-cli: error: data-parallel training needs --rank, --world-size and --master host:port together", result.Error.Trim());
    }

    private sealed class RunningCli(Process process) : IDisposable
    {
        public Process Process { get; } = process;

        public TaskCompletionSource Joined { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static RunningCli StartCli(string workingDirectory, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "platform-cli.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var running = new RunningCli(new Process { StartInfo = start });
        running.Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("data-parallel: rank 1 of 2") == true) running.Joined.TrySetResult();
        };
        running.Process.OutputDataReceived += (_, _) => { };
        running.Process.Start();
        running.Process.BeginErrorReadLine();
        running.Process.BeginOutputReadLine();
        return running;
    }
}
