using Platform.Training.Data;

namespace Platform.Training.Tests.Data;

public sealed class SamplingTests
{
    [Fact]
    public void FromData_UnsortedLabels_SortsOrdinally()
    {
        var labels = LabelVocabulary.FromData(["pos", "neg", "Pos", "neg"]);

        Assert.Equal(["Pos", "neg", "pos"], labels.Labels);
        Assert.Equal(2, labels.GetId("pos"));
    }

    [Fact]
    public void GetId_UnknownLabel_ThrowsListingKnown()
    {
        var labels = LabelVocabulary.FromData(["a", "b"]);

        var error = Assert.Throws<InvalidDataException>(() => labels.GetId("c"));

        Assert.Contains("unknown label 'c'; the model knows: a, b", error.Message);
    }

    [Fact]
    public void FromData_SingleLabel_Throws()
    {
        Assert.Throws<InvalidDataException>(() => LabelVocabulary.FromData(["a", "a"]));
    }

    [Fact]
    public void Stratified_SameSeed_SameSplit()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i % 3).ToArray();

        var first = DataSplit.Stratified(labels, 0.2, seed: 42);
        var second = DataSplit.Stratified(labels, 0.2, seed: 42);
        var other = DataSplit.Stratified(labels, 0.2, seed: 43);

        Assert.Equal(first.Validation, second.Validation);
        Assert.NotEqual(first.Validation, other.Validation);
    }

    [Fact]
    public void Stratified_UnevenLabels_HoldsOutFractionOfEachLabel()
    {
        int[] labels = [.. Enumerable.Repeat(0, 90), .. Enumerable.Repeat(1, 10), 2, 2];

        var split = DataSplit.Stratified(labels, 0.2, seed: 1);

        Assert.Equal(18, split.Validation.Count(i => labels[i] == 0));
        Assert.Equal(2, split.Validation.Count(i => labels[i] == 1));
        Assert.Equal(1, split.Validation.Count(i => labels[i] == 2));
        Assert.Equal(Enumerable.Range(0, labels.Length), split.Train.Concat(split.Validation).Order());
    }

    [Fact]
    public void CheckedAgainst_PartitionOfTheData_ReturnsItSorted()
    {
        var split = new DataSplit([3, 0, 2], [4, 1]).CheckedAgainst(5);

        Assert.Equal([0, 2, 3], split.Train);
        Assert.Equal([1, 4], split.Validation);
    }

    [Theory]
    [InlineData(new[] { 0, 1 }, new[] { 2 }, 4, "covers 3 examples, but the data has 4")]
    [InlineData(new[] { 0, 1 }, new[] { 1 }, 3, "names example 1 twice")]
    [InlineData(new[] { 0, 5 }, new[] { 1 }, 3, "names example 5, but the data has 3")]
    public void CheckedAgainst_SplitOfOtherData_Throws(int[] train, int[] validation, int count, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => new DataSplit(train, validation).CheckedAgainst(count));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Stratified_SingleExampleLabel_StaysInTraining()
    {
        var split = DataSplit.Stratified([0, 0, 0, 1], 0.5, seed: 3);

        Assert.Contains(3, split.Train);
    }

    [Fact]
    public void Batches_ResumeMidEpoch_ReplaysSameBatches()
    {
        var sampler = new ShuffledBatches(count: 10, batchSize: 3, seed: 5);

        var full = sampler.Batches(epoch: 1).ToList();
        var resumed = new ShuffledBatches(10, 3, 5).Batches(epoch: 1, firstBatch: 2).ToList();

        Assert.Equal(4, full.Count);
        Assert.Single(full[3]);
        Assert.Equal(full.Skip(2), resumed);
        Assert.Equal(Enumerable.Range(0, 10), full.SelectMany(b => b).Order());
    }

    [Fact]
    public void Order_DifferentEpochs_DifferentPermutations()
    {
        var sampler = new ShuffledBatches(50, 8, seed: 5);

        Assert.NotEqual(sampler.Order(0), sampler.Order(1));
        Assert.Equal(sampler.Order(0), sampler.Order(0));
    }

    [Fact]
    public void State_SavedAndRestored_ContinuesSameSequence()
    {
        var random = new SeededRandom(99);
        random.NextUInt64();
        var saved = random.State;
        var expected = new[] { random.NextInt(10), random.NextInt(1000), random.NextInt(7) };

        var restored = new SeededRandom(0) { State = saved };

        Assert.Equal(expected, new[] { restored.NextInt(10), restored.NextInt(1000), restored.NextInt(7) });
    }

    [Fact]
    public void NextInt_ManyDraws_StaysInRangeAndCoversIt()
    {
        var random = new SeededRandom(1);
        var seen = new bool[6];
        for (var i = 0; i < 1000; i++)
        {
            seen[random.NextInt(6)] = true;
        }

        Assert.All(seen, Assert.True);
    }
}
