namespace Platform.Jobs.Workers;

/// <summary>
/// One of a worker's slots and what it owns while it runs a job: its device (a GPU of its own where
/// the worker has them) and its share of the cores. A run also owns its random generator (decision
/// 0035), so nothing a job sets up is shared with the job in the next slot.
/// </summary>
/// <param name="Device">"cpu" or "cuda:N": what a job that asked for "auto" trains on.</param>
/// <param name="Threads">Intra-op threads for a run in this slot: the cores divided among the slots.</param>
public sealed record WorkerSlot(int Index, string Device, int Threads)
{
    /// <summary>
    /// The slots of a worker: on a CUDA worker slot i gets GPU i mod <paramref name="gpus"/>, so slots
    /// spread over every GPU before two share one; on a CPU worker (or one whose GPUs are gone) all
    /// train on the CPU. Threads: <paramref name="cores"/> / slots, at least one.
    /// </summary>
    public static IReadOnlyList<WorkerSlot> Plan(int slots, string deviceKind, int gpus, int cores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        var threads = Math.Max(1, cores / slots);
        return Enumerable.Range(0, slots)
            .Select(i => new WorkerSlot(i, deviceKind == "cuda" && gpus > 0 ? $"cuda:{i % gpus}" : "cpu", threads))
            .ToList();
    }

    /// <summary>The device a run with the job's <paramref name="requested"/> device trains on in this slot.</summary>
    public string DeviceFor(string? requested) => requested is null or "auto" ? Device : requested;
}
