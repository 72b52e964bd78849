namespace Platform.Training.Data;

/// <summary>Where a run is in its data: a checkpoint stores it to resume on the next batch.</summary>
public sealed record DataPosition(int Epoch, int Batch);

/// <summary>
/// Mini-batches of a freshly shuffled order each epoch. The order of an epoch depends only on the seed
/// and the epoch number, so resuming at (epoch, batch) replays exactly what an uninterrupted run sees.
/// </summary>
public sealed class ShuffledBatches
{
    public ShuffledBatches(int count, int batchSize, ulong seed, bool shuffle = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Count = count;
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
    }

    public int Count { get; }
    public int BatchSize { get; }
    public ulong Seed { get; }
    public bool Shuffle { get; }

    /// <summary>The last batch may be smaller than <see cref="BatchSize"/>.</summary>
    public int BatchesPerEpoch => (Count + BatchSize - 1) / BatchSize;

    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        if (Shuffle)
        {
            new SeededRandom(SeededRandom.Derive(Seed, (ulong)epoch)).Shuffle(order.AsSpan());
        }

        return order;
    }

    /// <summary>Positions (into the example list) of each batch of <paramref name="epoch"/>, from <paramref name="firstBatch"/> on.</summary>
    public IEnumerable<int[]> Batches(int epoch, int firstBatch = 0)
    {
        var order = Order(epoch);
        for (var batch = firstBatch; batch < BatchesPerEpoch; batch++)
        {
            var start = batch * BatchSize;
            yield return order[start..Math.Min(Count, start + BatchSize)];
        }
    }
}
