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
    public void Build_ThousandTinyClasses_OneWarningWithCountAndFirstNames()
    {
        var profile = Build([.. Enumerable.Range(0, 1000).Select(i => ($"c{i:D4}", 3))]).Value;

        var warning = Assert.Single(profile.Warnings);
        Assert.Equal("1,000 classes have fewer than 10 examples, which rarely train well: " +
            "'c0000' (3), 'c0001' (3), 'c0002' (3), 'c0003' (3), 'c0004' (3), … (and 995 more).", warning);
    }

    [Fact]
    public void Build_ManyClassesBelowMinimum_RefusalNamesTheFirstFew()
    {
        var result = Build([("big", 20), .. Enumerable.Range(0, 300).Select(i => ($"c{i:D3}", 1))]);

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.EndsWith("too few in 'c000' (1), 'c001' (1), 'c002' (1), 'c003' (1), 'c004' (1), … (and 295 more).", result.Error);
    }

    [Fact]
    public void Build_TinyClassNameWithDirectionCharacters_ShownBlanked()
    {
        var profile = Build(("pos", 20), ("ne\u202Eg", 3)).Value;

        Assert.Contains(profile.Warnings, w => w.Contains("'ne g' has only 3", StringComparison.Ordinal));
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
