using Platform.Training.Distributed;

namespace Platform.Training.Tests.Distributed;

/// <summary>Runs the ranks of a test's process group on threads of this process, each on its own thread.</summary>
internal static class Ranks
{
    // This project's TCPStore test ports are 29500-29549; each group takes the next one, so a port
    // still in TIME_WAIT from an earlier test is never reused within a run.
    private static int _next = 29499;

    public static int NextPort() => 29500 + (Interlocked.Increment(ref _next) - 29500) % 50;

    public static DistributedOptions Options(int rank, int worldSize, int port, double timeoutSeconds = 30) =>
        new(rank, worldSize, "127.0.0.1", port, TimeSpan.FromSeconds(timeoutSeconds));

    /// <summary>
    /// Starts <paramref name="worldSize"/> ranks at once and returns their results in rank order. The
    /// wait is a hang guard only: a rank still running after <paramref name="guard"/> fails the test.
    /// </summary>
    public static T[] Run<T>(int worldSize, Func<int, T> rank, TimeSpan? guard = null)
    {
        var tasks = Enumerable.Range(0, worldSize).Select(r => Task.Factory.StartNew(() => rank(r),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Assert.True(Task.WaitAll(tasks, guard ?? TimeSpan.FromMinutes(5)), "a rank hung");
        return tasks.Select(t => t.Result).ToArray();
    }
}
