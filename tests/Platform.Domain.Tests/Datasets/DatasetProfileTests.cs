using Platform.Domain.Common;
using Platform.Domain.Datasets;

namespace Platform.Domain.Tests.Datasets;

public class DatasetProfileTests
{
    private static Result<DatasetProfile> Build(params (string Label, int Count)[] classes) =>
        DatasetProfile.Build(
            [.. classes.SelectMany(c => Enumerable.Repeat(c.Label, c.Count))], DatasetStats.Empty, [], DatasetRules.Default);

    [Fact]
    public void Build_BalancedClasses_CountsWithoutWarnings()
    {
        var profile = Build(("pos", 20), ("neg", 15)).Value;

        Assert.Equal(35, profile.RowCount);
        Assert.Equal(20, profile.LabelCounts["pos"]);
        Assert.Equal(15, profile.LabelCounts["neg"]);
        Assert.Empty(profile.Warnings);
    }

    [Fact]
    public void Build_OneClass_ReturnsBadRequestNamingIt()
    {
        var result = Build(("pos", 20));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Contains("'pos'", result.Error);
    }

    [Fact]
    public void Build_ClassBelowMinimum_ReturnsBadRequest()
    {
        var result = Build(("pos", 20), ("neg", 1));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Contains("'neg' (1)", result.Error);
    }

    [Fact]
    public void Build_ImbalancedClasses_Warns()
    {
        var profile = Build(("pos", 220), ("neg", 20)).Value;

        Assert.Contains(profile.Warnings, w => w.Contains("imbalanced", StringComparison.Ordinal) && w.Contains("11x", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_TinyClass_Warns()
    {
        var profile = Build(("pos", 20), ("neg", 3)).Value;

        Assert.Contains(profile.Warnings, w => w.Contains("'neg' has only 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_IngestWarnings_ComeFirst()
    {
        var profile = DatasetProfile.Build(["a", "a", "b", "b"], DatasetStats.Empty, ["2 empty rows skipped"], DatasetRules.Default).Value;

        Assert.Equal("2 empty rows skipped", profile.Warnings[0]);
    }

    [Fact]
    public void Of_Values_ComputesStats()
    {
        var stats = DatasetStats.Of([5, 1, 3, 10]);

        Assert.Equal(new DatasetStats(1, 10, 4.75, 5), stats);
    }
}
