namespace Platform.Training.Data;

/// <summary>Indices of the training and validation examples, each sorted ascending.</summary>
public sealed record DataSplit(int[] Train, int[] Validation)
{
    /// <summary>
    /// Holds out about <paramref name="validationFraction"/> of every label, so rare labels are seen in both parts.
    /// The same labels and seed always give the same split.
    /// </summary>
    public static DataSplit Stratified(IReadOnlyList<int> labelIds, double validationFraction, ulong seed)
    {
        if (validationFraction is < 0 or >= 1 || double.IsNaN(validationFraction))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");
        }

        var train = new List<int>();
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, labelIds.Count).GroupBy(i => labelIds[i]).OrderBy(g => g.Key))
        {
            var indices = group.ToArray();
            new SeededRandom(SeededRandom.Derive(seed, (ulong)group.Key)).Shuffle(indices.AsSpan());
            var held = (int)Math.Round(indices.Length * validationFraction, MidpointRounding.AwayFromZero);
            if (validationFraction > 0 && indices.Length >= 2)
            {
                // Keep at least one example of a label on each side.
                held = Math.Clamp(held, 1, indices.Length - 1);
            }
            else if (indices.Length < 2)
            {
                held = 0;
            }

            validation.AddRange(indices[..held]);
            train.AddRange(indices[held..]);
        }

        train.Sort();
        validation.Sort();
        return new DataSplit([.. train], [.. validation]);
    }

    /// <summary>
    /// A split made elsewhere (the dataset's stored one) must put each of the <paramref name="count"/>
    /// examples on exactly one side; anything else means it was made for other data, and training on
    /// it would quietly mix validation examples into training.
    /// </summary>
    public DataSplit CheckedAgainst(int count)
    {
        var seen = new bool[count];
        foreach (var index in Train.Concat(Validation))
        {
            if (index < 0 || index >= count)
            {
                throw new InvalidDataException($"the split names example {index}, but the data has {count}");
            }

            if (seen[index])
            {
                throw new InvalidDataException($"the split names example {index} twice");
            }

            seen[index] = true;
        }

        if (Train.Length + Validation.Length != count)
        {
            throw new InvalidDataException($"the split covers {Train.Length + Validation.Length} examples, but the data has {count}");
        }

        return new DataSplit([.. Train.Order()], [.. Validation.Order()]);
    }
}
