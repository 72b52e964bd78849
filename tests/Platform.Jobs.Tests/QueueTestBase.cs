using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

/// <summary>A fresh queue database and one registered worker per test.</summary>
public abstract class QueueTestBase : IAsyncLifetime
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected QueueDatabase Db { get; private set; } = null!;

    protected Guid Worker { get; private set; }

    public async Task InitializeAsync()
    {
        Db = await QueueDatabase.CreateAsync();
        Worker = await Db.RegisterWorkerAsync();
    }

    public async Task DisposeAsync() => await Db.DisposeAsync();

    protected Task<ClaimedJob?> ClaimAsync() => Db.Queue.ClaimAsync(Worker, Lease, "cpu");
}
