using Platform.Domain.Datasets;

namespace Platform.Domain.Tests.Datasets;

public class DatasetSplitTests
{
    private static string[] Labels(int a, int b, int c) =>
        [.. Enumerable.Repeat("a", a).Concat(Enumerable.Repeat("b", b)).Concat(Enumerable.Repeat("c", c))
            .Select((l, i) => (l, i)).OrderBy(x => (x.i * 7919) % 97).Select(x => x.l)];

    [Fact]
    public void Stratified_SameSeed_SameSplit()
    {
        var labels = Labels(50, 30, 20);

        var first = DatasetSplit.Stratified(labels, 0.2, 7);
        var second = DatasetSplit.Stratified(labels, 0.2, 7);

        Assert.Equal(first.Train, second.Train);
        Assert.Equal(first.Validation, second.Validation);
    }

    [Fact]
    public void Stratified_CopiesUnderAnotherLabel_FollowTheirFirstRecord()
    {
        // Records 50-99 ("b") have the same content as records 0-49 ("a").
        string[] labels = [.. Enumerable.Repeat("a", 50), .. Enumerable.Repeat("b", 50)];
        var copyOf = Enumerable.Range(50, 50).ToDictionary(i => i, i => i - 50);

        var plain = DatasetSplit.Stratified(labels, 0.2, 42);
        var split = DatasetSplit.Stratified(labels, 0.2, 42, copyOf);

        // Without the copies each label is shuffled on its own, so some pairs straddle the split.
        Assert.Contains(copyOf, c => plain.Validation.Contains(c.Key) != plain.Validation.Contains(c.Value));
        Assert.All(copyOf, c => Assert.Equal(split.Validation.Contains(c.Value), split.Validation.Contains(c.Key)));
        Assert.Equal(Enumerable.Range(0, 100), split.Train.Concat(split.Validation).Order());
        Assert.Equal(plain.Validation.Where(i => i < 50), split.Validation.Where(i => i < 50));
    }

    [Fact]
    public void Stratified_DifferentSeed_DifferentValidation()
    {
        var labels = Labels(50, 30, 20);

        Assert.NotEqual(DatasetSplit.Stratified(labels, 0.2, 1).Validation, DatasetSplit.Stratified(labels, 0.2, 2).Validation);
    }

    [Fact]
    public void Stratified_Always_KeepsClassProportions()
    {
        var labels = Labels(50, 30, 20);

        var split = DatasetSplit.Stratified(labels, 0.2, 42);

        Assert.Equal(10, split.Validation.Count(i => labels[i] == "a"));
        Assert.Equal(6, split.Validation.Count(i => labels[i] == "b"));
        Assert.Equal(4, split.Validation.Count(i => labels[i] == "c"));
    }

    [Fact]
    public void Stratified_Always_PartitionsEveryIndexOnce()
    {
        var labels = Labels(13, 7, 2);

        var split = DatasetSplit.Stratified(labels, 0.25, 3);

        Assert.Equal(Enumerable.Range(0, labels.Length), split.Train.Concat(split.Validation).Order());
        Assert.Equal(split.Train.Order(), split.Train);
    }

    [Fact]
    public void Stratified_TwoExampleClass_OneEachSide()
    {
        string[] labels = ["x", "y", "x", "y", "y", "y", "y", "y", "y", "y", "y", "y"];

        var split = DatasetSplit.Stratified(labels, 0.1, 42);

        Assert.Single(split.Validation, i => labels[i] == "x");
        Assert.Single(split.Train, i => labels[i] == "x");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Stratified_FractionOutOfRange_Throws(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Stratified(["a", "b"], fraction, 1));
    }
}
