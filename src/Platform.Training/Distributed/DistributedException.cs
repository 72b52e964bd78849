namespace Platform.Training.Distributed;

/// <summary>
/// The rendezvous or a collective of a data-parallel run failed: a peer died, stopped answering within
/// the timeout, or the network failed. The rank cannot go on; its host treats the run as interrupted
/// (the gang restarts from the last checkpoint).
/// </summary>
public sealed class DistributedException : Exception
{
    public DistributedException(string message) : base(message) { }

    public DistributedException(string message, Exception inner) : base(message, inner) { }
}
