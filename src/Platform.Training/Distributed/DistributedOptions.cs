namespace Platform.Training.Distributed;

/// <summary>
/// One rank's place in a data-parallel training over c10d (decision 0043). Rank 0 hosts the TCPStore
/// on <paramref name="MasterHost"/>:<paramref name="MasterPort"/>; the other ranks connect to it.
/// <paramref name="Timeout"/> bounds the rendezvous and every collective: a rank that waits longer for
/// a dead peer fails instead of hanging.
/// </summary>
public sealed record DistributedOptions(int Rank, int WorldSize, string MasterHost, int MasterPort, TimeSpan Timeout)
{
    public void Validate()
    {
        if (WorldSize < 1) throw new ArgumentException("world size must be at least 1");
        if (Rank < 0 || Rank >= WorldSize) throw new ArgumentException($"rank must be in [0, {WorldSize - 1}]");
        if (string.IsNullOrWhiteSpace(MasterHost)) throw new ArgumentException("the master host must be given");
        if (MasterPort is < 1 or > 65535) throw new ArgumentException("the master port must be in [1, 65535]");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException("the timeout must be positive");
    }
}
