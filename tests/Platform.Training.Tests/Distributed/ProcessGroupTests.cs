using Platform.Training.Distributed;
using Platform.Training.Torch;

namespace Platform.Training.Tests.Distributed;

/// <summary>c10d through the native shim: two ranks on threads of this process, over loopback Gloo.</summary>
public sealed class ProcessGroupTests
{
    [Fact]
    public void AllReduceSum_TwoRanks_EveryRankHoldsTheScaledSum()
    {
        var port = Ranks.NextPort();
        var results = Ranks.Run(2, rank =>
        {
            using var group = ProcessGroup.Join(Ranks.Options(rank, 2, port));
            using var a = Tensor.FromSpan([rank + 1f, 10f * (rank + 1)], [2]);
            using var b = Tensor.FromSpan([rank == 0 ? 3f : 5f, 1f, 2f, 4f], [2, 2]);
            // A one-byte bucket puts each tensor in its own bucket: the cut must not change the result.
            group.AllReduceSum([a, b], scale: 0.5, bucketBytes: 1);
            return (A: a.ToFloatArray(), B: b.ToFloatArray());
        });

        foreach (var (a, b) in results)
        {
            Assert.Equal([1.5f, 15f], a);
            Assert.Equal([4f, 1f, 2f, 4f], b);
        }
    }

    [Fact]
    public void Broadcast_MixedTypes_OverwritesEveryRankWithRankZeros()
    {
        var port = Ranks.NextPort();
        var results = Ranks.Run(2, rank =>
        {
            using var group = ProcessGroup.Join(Ranks.Options(rank, 2, port));
            using var weights = Tensor.FromSpan([rank + 0.25f, rank + 0.5f, rank + 0.75f], [3]);
            using var counter = Tensor.FromSpan([rank == 0 ? (1L << 40) + 1 : 7L], [1]);
            group.Broadcast([weights, counter]);
            return (Weights: weights.ToFloatArray(), Counter: counter.ToInt64Array());
        });

        foreach (var (weights, counter) in results)
        {
            Assert.Equal([0.25f, 0.5f, 0.75f], weights);
            // int64 travels in its own bucket: through a float bucket it would lose its low bits.
            Assert.Equal([(1L << 40) + 1], counter);
        }
    }

    [Fact]
    public void AllReduceGradients_ARankWithoutAGradient_ContributesZerosAndGetsTheSum()
    {
        var port = Ranks.NextPort();
        var results = Ranks.Run(2, rank =>
        {
            using var group = ProcessGroup.Join(Ranks.Options(rank, 2, port));
            using var weight = Tensor.FromSpan([1f, 2f], [2]);
            weight.RequiresGrad = true;
            if (rank == 0)
            {
                using var loss = (weight * weight).Sum();
                loss.Backward();
            }

            group.AllReduceGradients([weight], scale: 1.0 / 2);
            using var grad = weight.Grad!;
            return grad.ToFloatArray();
        });

        Assert.All(results, grad => Assert.Equal([1f, 2f], grad));
    }

    [Fact]
    public void Buckets_CutAtTypeChangesAndAfterTheByteBudget()
    {
        using var a = Tensor.Zeros([4], ScalarType.Float32);
        using var b = Tensor.Zeros([4], ScalarType.Float32);
        using var c = Tensor.Zeros([2], ScalarType.Int64);
        using var d = Tensor.Zeros([1], ScalarType.Float32);

        var buckets = ProcessGroup.Buckets([a, b, c, d], bucketBytes: 32);
        Assert.Equal([2, 1, 1], buckets.Select(bucket => bucket.Count));

        var small = ProcessGroup.Buckets([a, b, d], bucketBytes: 16);
        Assert.Equal([1, 1, 1], small.Select(bucket => bucket.Count));
    }

    [Fact]
    public void Collective_PeerDiedAfterJoining_FailsWithinTheTimeoutInsteadOfHanging()
    {
        var port = Ranks.NextPort();
        var results = Ranks.Run<(string First, string Second)?>(2, rank =>
        {
            using var group = ProcessGroup.Join(Ranks.Options(rank, 2, port, timeoutSeconds: 5));
            group.Barrier();
            if (rank == 1)
            {
                // Rank 1 dies: its group and store close, its sockets with them.
                return null;
            }

            using var t = Tensor.FromSpan([1f], [1]);
            var first = Assert.Throws<DistributedException>(() => group.AllReduceSum([t]));
            // The group stays failed: a second collective does not wait out the timeout again.
            var second = Assert.Throws<DistributedException>(() => group.Barrier());
            return (First: first.Message, Second: second.Message);
        }, guard: TimeSpan.FromMinutes(2));

        var (firstMessage, secondMessage) = results[0]!.Value;
        Assert.Contains("rank 0 of 2: all-reduce failed", firstMessage);
        Assert.Contains("earlier collective failed", secondMessage);
    }

    [Fact]
    public void Join_PeerNeverArrives_FailsAfterTheTimeoutNamingTheRendezvous()
    {
        var port = Ranks.NextPort();
        var thrown = Ranks.Run(1, _ => Assert.Throws<DistributedException>(
            () => ProcessGroup.Join(Ranks.Options(0, 2, port, timeoutSeconds: 2))), guard: TimeSpan.FromMinutes(2));

        Assert.Contains($"127.0.0.1:{port}", thrown[0].Message);
    }

    [Fact]
    public void Join_InvalidRank_IsRefusedBeforeAnyNetworkCall()
    {
        var error = Assert.Throws<ArgumentException>(() => ProcessGroup.Join(Ranks.Options(2, 2, Ranks.NextPort())));
        Assert.Contains("rank must be in [0, 1]", error.Message);
    }
}
