using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Training.Tests.Metrics;

public sealed class ResultAssessmentTests
{
    private static readonly string[] Labels = ["a", "b", "c"];

    [Fact]
    public void Assess_OneLabelPredictedForEverything_WarnsAtChanceOnBothMetrics()
    {
        // 10 of each label, everything predicted "a": the 33.3 % with the loss flat at ln 3.
        var truth = Repeat((0, 10), (1, 10), (2, 10));
        var metrics = ClassificationMetrics.Compute(truth, new int[30], Labels);

        var assessment = ResultAssessment.Assess(metrics, baseline: null, ModelKind.Bert);

        Assert.True(assessment.Warning);
        Assert.Equal([ResultWarning.AccuracyAtChance, ResultWarning.MacroF1AtChance], assessment.Warnings.Select(w => w.Code));
        Assert.StartsWith("No better than chance", assessment.Summary);
        Assert.Contains("Accuracy 33.3% is not clearly above the 33.3% that always answering “a” gets", assessment.Warnings[0].Message);
        Assert.Contains(assessment.Advice, a => a.Contains("pretrained base model"));
        Assert.Contains(assessment.Advice, a => a.Contains("Add labelled examples"));
    }

    [Fact]
    public void Assess_ClearlyBetterThanChanceAndBaseline_IsNoWarning()
    {
        var truth = Repeat((0, 10), (1, 10), (2, 10));
        var predicted = (int[])truth.Clone();
        predicted[0] = 1;
        var metrics = ClassificationMetrics.Compute(truth, predicted, Labels);
        var baseline = ClassificationMetrics.Compute(truth, Flip(truth, 3), Labels);

        var assessment = ResultAssessment.Assess(metrics, baseline, ModelKind.Bert);

        Assert.False(assessment.Warning);
        Assert.Empty(assessment.Warnings);
        Assert.Empty(assessment.Advice);
        Assert.Equal("", assessment.Summary);
        Assert.Equal(baseline.Accuracy, assessment.BaselineAccuracy);
    }

    [Fact]
    public void Assess_AboveMajorityButWithinTheMargin_IsNotClearlyAbove()
    {
        // 30 examples, majority share 1/3: the margin is 1.645 * sqrt(1/3 * 2/3 / 30) = 0.1416.
        var truth = Repeat((0, 10), (1, 10), (2, 10));
        var metrics = ClassificationMetrics.Compute(truth, Flip(truth, 17), Labels); // 13/30 = 43.3 %

        var assessment = ResultAssessment.Assess(metrics, baseline: null, ModelKind.Cnn);

        Assert.Equal(0.1416, assessment.Chance.AccuracyMargin, 4);
        Assert.Equal([ResultWarning.AccuracyAtChance], assessment.Warnings.Select(w => w.Code));
        Assert.Contains("it would need more than 47.5%", assessment.Warnings[0].Message);
        Assert.Contains(assessment.Advice, a => a.Contains("input size and channels"));
    }

    [Fact]
    public void Assess_ImbalancedSplitAllMajority_ComparesWithTheMajorityShare()
    {
        // 90 % of the examples are "b": answering "b" always is 90 % accurate and useless.
        var truth = Repeat((1, 90), (0, 10));
        var metrics = ClassificationMetrics.Compute(truth, Enumerable.Repeat(1, 100).ToArray(), ["a", "b"]);

        var assessment = ResultAssessment.Assess(metrics, baseline: null, ModelKind.Bert);

        Assert.Equal("b", assessment.Chance.MajorityLabel);
        Assert.Equal(0.9, assessment.Chance.MajorityShare, 10);
        // F1 of "b": precision 0.9, recall 1 -> 0.947; "a" 0; their mean.
        Assert.Equal(0.9 * 2 / 1.9 / 2, assessment.Chance.MajorityMacroF1, 10);
        Assert.Equal([ResultWarning.AccuracyAtChance, ResultWarning.MacroF1AtChance], assessment.Warnings.Select(w => w.Code));
    }

    [Fact]
    public void Assess_TextModelBelowBaseline_WarnsBelowBaselineWithBothNumbers()
    {
        var truth = Repeat((0, 20), (1, 20), (2, 20));
        var model = ClassificationMetrics.Compute(truth, Flip(truth, 6), Labels);
        var baseline = ClassificationMetrics.Compute(truth, Flip(truth, 3), Labels);

        var assessment = ResultAssessment.Assess(model, baseline, ModelKind.Bert);

        Assert.True(assessment.Warning);
        Assert.Equal([ResultWarning.BelowBaseline], assessment.Warnings.Select(w => w.Code));
        Assert.StartsWith("Below the baseline", assessment.Summary);
        Assert.Contains("accuracy 95.0% against 90.0%", assessment.Warnings[0].Message);
        Assert.StartsWith("Use the baseline model", assessment.Advice[0]);
    }

    [Fact]
    public void Assess_TiedWithBaseline_IsNotBelowIt()
    {
        var truth = Repeat((0, 20), (1, 20), (2, 20));
        var model = ClassificationMetrics.Compute(truth, Flip(truth, 4), Labels);

        var assessment = ResultAssessment.Assess(model, model, ModelKind.Bert);

        Assert.False(assessment.Warning);
    }

    [Fact]
    public void ChanceOf_LabelAbsentFromTheSplit_ScoresTheMajorityWithTheMetricsOwnAveraging()
    {
        // "c" never occurs: the majority's macro-F1 is whatever ClassificationMetrics makes of that.
        var truth = Repeat((0, 6), (1, 4));
        var metrics = ClassificationMetrics.Compute(truth, truth, Labels);

        var chance = ResultAssessment.ChanceOf(metrics);

        var expected = ClassificationMetrics.Compute(truth, new int[10], Labels).MacroF1;
        Assert.Equal(expected, chance.MajorityMacroF1, 12);
        Assert.Equal("a", chance.MajorityLabel);
    }

    private static int[] Repeat(params (int Label, int Count)[] groups) =>
        groups.SelectMany(g => Enumerable.Repeat(g.Label, g.Count)).ToArray();

    /// <summary>The truth with the first <paramref name="count"/> answers moved to the next label.</summary>
    private static int[] Flip(int[] truth, int count)
    {
        var predicted = (int[])truth.Clone();
        for (var i = 0; i < count; i++)
            predicted[i * truth.Length / count] = (truth[i * truth.Length / count] + 1) % 3;
        return predicted;
    }
}
