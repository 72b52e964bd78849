using Npgsql;

namespace Platform.Jobs.Tests;

/// <summary>
/// Polls a condition that reads a database which may be restarting: a read that fails because the server
/// is away counts as "not yet", as it would for every other client. A guard against hangs, not a timing assertion.
/// </summary>
internal static class Eventually
{
    /// <param name="condition">What the test waits for.</param>
    /// <param name="patience">How long before it gives up.</param>
    /// <param name="explain">What the failure message says (worker output, job states).</param>
    /// <param name="broken">A reason to give up at once (a worker process exited), or null.</param>
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan patience, Func<Task<string>> explain, Func<string?>? broken = null)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (NpgsqlException)
            {
                // The test's own reads fail while the server restarts, like everyone else's.
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not reached within {patience}:\n{await explain()}");
            if (broken?.Invoke() is { } reason)
                throw new InvalidOperationException($"{reason}:\n{await explain()}");
            await Task.Delay(200);
        }
    }
}
