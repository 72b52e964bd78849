namespace Platform.Domain.Datasets;

/// <summary>
/// A stratified train/validation split as indices into the accepted records (0-based, in file
/// order). The same labels, fraction and seed always give the same split, on any machine: the
/// shuffle uses its own SplitMix64 generator rather than System.Random, whose sequence is not a
/// documented contract.
/// </summary>
public sealed record DatasetSplit(int Seed, double ValidationFraction, IReadOnlyList<int> Train, IReadOnlyList<int> Validation)
{
    /// <param name="copyOf">
    /// Records whose content (a text, an image's bytes) an earlier record under another label has:
    /// record index to that first record's index (never itself a copy). Each copy goes to its first
    /// record's side, so validation never scores an example that training has seen under another label.
    /// </param>
    public static DatasetSplit Stratified(IReadOnlyList<string> labels, double validationFraction, int seed,
        IReadOnlyDictionary<int, int>? copyOf = null)
    {
        if (validationFraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), "The validation fraction must lie between 0 and 1.");
        }
        var byLabel = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Count; i++)
        {
            if (!byLabel.TryGetValue(labels[i], out var list))
            {
                byLabel[labels[i]] = list = [];
            }
            list.Add(i);
        }
        var train = new List<int>();
        var validation = new List<int>();
        var rng = new SplitMix64((ulong)(uint)seed);
        foreach (var indices in byLabel.Values)
        {
            Shuffle(indices, ref rng);
            // Every class with two or more examples lends at least one to validation and keeps one for training.
            var take = indices.Count < 2 ? 0 : Math.Clamp((int)Math.Round(indices.Count * validationFraction), 1, indices.Count - 1);
            validation.AddRange(indices.Take(take));
            train.AddRange(indices.Skip(take));
        }
        if (copyOf is { Count: > 0 })
        {
            var held = new bool[labels.Count];
            validation.ForEach(i => held[i] = true);
            foreach (var (copy, first) in copyOf)
            {
                held[copy] = held[first];
            }
            train = [.. Enumerable.Range(0, labels.Count).Where(i => !held[i])];
            validation = [.. Enumerable.Range(0, labels.Count).Where(i => held[i])];
        }
        train.Sort();
        validation.Sort();
        return new DatasetSplit(seed, validationFraction, train, validation);
    }

    private static void Shuffle(List<int> items, ref SplitMix64 rng)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = (int)(rng.Next() % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
