using System.Net;
using Platform.Training.Torch;

namespace Platform.Training.Distributed;

/// <summary>
/// This process's membership of a c10d Gloo process group: all-reduce, broadcast and barrier over the
/// ranks of a data-parallel run (decision 0043). Every rank must call the same collectives in the same
/// order. A collective that fails (a peer died or timed out) throws <see cref="DistributedException"/>
/// and leaves the group unusable: every later call throws at once instead of waiting again.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    /// <summary>
    /// Gradients travel in buckets of about this many bytes: large enough that per-message latency
    /// does not dominate, small enough that the flattened copy stays cheap (PyTorch DDP uses 25 MB
    /// with overlap; without overlap a few MB is as fast).
    /// </summary>
    public const long DefaultBucketBytes = 4L << 20;

    private readonly StoreHandle _store;
    private readonly GroupHandle _group;
    private string? _failure;

    private ProcessGroup(DistributedOptions options, StoreHandle store, GroupHandle group)
    {
        Options = options;
        _store = store;
        _group = group;
    }

    public DistributedOptions Options { get; }

    public int Rank => Options.Rank;

    public int WorldSize => Options.WorldSize;

    /// <summary>
    /// Rendezvous: rank 0 hosts the TCPStore on the master address, every rank connects to it, and the
    /// call returns once all <see cref="DistributedOptions.WorldSize"/> ranks have joined the group.
    /// Throws <see cref="DistributedException"/> when that does not happen within the timeout.
    /// </summary>
    /// <remarks>
    /// The Gloo transport binds to the interface named by GLOO_SOCKET_IFNAME (PyTorch's variable) when
    /// set; to the loopback address when the master is on loopback; else to the address this machine's
    /// hostname resolves to.
    /// </remarks>
    public static ProcessGroup Join(DistributedOptions options)
    {
        options.Validate();
        var timeoutMs = (long)Math.Ceiling(options.Timeout.TotalMilliseconds);
        var where = $"{options.MasterHost}:{options.MasterPort}";
        var store = NativeMethods.pt_dist_store_new(options.MasterHost, options.MasterPort, options.Rank == 0 ? 1 : 0, options.WorldSize, timeoutMs);
        if (store.IsInvalid)
        {
            throw new DistributedException(options.Rank == 0
                ? $"rank 0 could not host the rendezvous store on {where}: {NativeMethods.LastError()}"
                : $"rank {options.Rank} could not reach the rendezvous store on {where} within {options.Timeout}: {NativeMethods.LastError()}");
        }

        var networkInterface = Environment.GetEnvironmentVariable("GLOO_SOCKET_IFNAME");
        var hostname = string.IsNullOrEmpty(networkInterface) && IsLoopback(options.MasterHost) ? "127.0.0.1" : null;
        var group = NativeMethods.pt_dist_group_new(store, options.Rank, options.WorldSize, networkInterface, hostname, timeoutMs);
        if (group.IsInvalid)
        {
            var message = NativeMethods.LastError();
            store.Dispose();
            throw new DistributedException($"rank {options.Rank} of {options.WorldSize}: the process group did not form within {options.Timeout} " +
                $"(rendezvous on {where}): {message}");
        }

        return new ProcessGroup(options, store, group);
    }

    /// <summary>Sums the tensors over all ranks in place, then multiplies them by <paramref name="scale"/>.</summary>
    public void AllReduceSum(IReadOnlyList<Tensor> tensors, double scale = 1.0, long bucketBytes = DefaultBucketBytes) =>
        AllReduce(tensors, ofGrads: false, scale, bucketBytes, "all-reduce");

    /// <summary>
    /// Sums the gradients of <paramref name="parameters"/> over all ranks in place, in flattened buckets,
    /// then multiplies them by <paramref name="scale"/>. A parameter without a gradient contributes zeros
    /// and gets one, so every rank sends the same buckets whatever its batch touched.
    /// </summary>
    public void AllReduceGradients(IReadOnlyList<Tensor> parameters, double scale = 1.0, long bucketBytes = DefaultBucketBytes) =>
        AllReduce(parameters, ofGrads: true, scale, bucketBytes, "gradient all-reduce");

    /// <summary>Overwrites the tensors on every rank with those of <paramref name="root"/>.</summary>
    public unsafe void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0, long bucketBytes = DefaultBucketBytes)
    {
        foreach (var bucket in Buckets(tensors, bucketBytes))
        {
            using var pinned = new PinnedTensors(bucket);
            var what = $"broadcast from rank {root}";
            EnsureUsable(what);
            fixed (IntPtr* p = pinned.Raw)
            {
                Check(what, NativeMethods.pt_dist_broadcast(_group, p, bucket.Count, root));
            }
        }
    }

    /// <summary>Returns once every rank has called it.</summary>
    public void Barrier()
    {
        EnsureUsable("barrier");
        Check("barrier", NativeMethods.pt_dist_barrier(_group));
    }

    private unsafe void AllReduce(IReadOnlyList<Tensor> tensors, bool ofGrads, double scale, long bucketBytes, string what)
    {
        foreach (var bucket in Buckets(tensors, bucketBytes))
        {
            using var pinned = new PinnedTensors(bucket);
            EnsureUsable(what);
            fixed (IntPtr* p = pinned.Raw)
            {
                Check(what, NativeMethods.pt_dist_all_reduce(_group, p, bucket.Count, ofGrads ? 1 : 0, scale));
            }
        }
    }

    /// <summary>
    /// Consecutive runs of tensors of one type and device, cut after about <paramref name="bucketBytes"/>:
    /// a flattened bucket has one type. Every rank cuts the same list the same way.
    /// </summary>
    public static List<List<Tensor>> Buckets(IReadOnlyList<Tensor> tensors, long bucketBytes)
    {
        var buckets = new List<List<Tensor>>();
        List<Tensor>? current = null;
        (ScalarType, Device) kind = default;
        long bytes = 0;
        foreach (var tensor in tensors)
        {
            var tensorKind = (tensor.DType, tensor.Device);
            if (current is null || tensorKind != kind || bytes >= bucketBytes)
            {
                current = [];
                buckets.Add(current);
                kind = tensorKind;
                bytes = 0;
            }

            current.Add(tensor);
            bytes += tensor.NumberOfElements * tensor.DType.ElementSize();
        }

        return buckets;
    }

    private void EnsureUsable(string what)
    {
        ObjectDisposedException.ThrowIf(_group.IsClosed, this);
        if (_failure is not null)
        {
            throw new DistributedException($"rank {Rank} of {WorldSize}: {what} not attempted: an earlier collective failed ({_failure})");
        }
    }

    private void Check(string what, int ok)
    {
        if (ok != 0)
        {
            return;
        }

        _failure = NativeMethods.LastError();
        throw new DistributedException($"rank {Rank} of {WorldSize}: {what} failed: {_failure} " +
            $"(a peer died, did not answer within {Options.Timeout}, or the network failed)");
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    public void Dispose()
    {
        _group.Dispose();
        _store.Dispose();
    }
}
