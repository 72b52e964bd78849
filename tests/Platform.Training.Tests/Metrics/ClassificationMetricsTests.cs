using Platform.Training.Metrics;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.Metrics;

public sealed class ClassificationMetricsTests
{
    // scikit-learn's classification_report for y_true=[0,0,0,1,1,2], y_pred=[0,1,0,1,2,2]:
    // precision 1.0/0.5/0.5, recall 0.667/0.5/1.0, f1 0.8/0.5/0.667, accuracy 4/6, macro F1 0.6556.
    private static readonly int[] Truth = [0, 0, 0, 1, 1, 2];
    private static readonly int[] Predicted = [0, 1, 0, 1, 2, 2];

    [Fact]
    public void Compute_ThreeClasses_MatchesScikitLearn()
    {
        var metrics = ClassificationMetrics.Compute(Truth, Predicted, ["a", "b", "c"]);

        Assert.Equal(4.0 / 6, metrics.Accuracy, 12);
        Assert.Equal((0.8 + 0.5 + 2.0 / 3) / 3, metrics.MacroF1, 12);
        Assert.Equal([1.0, 0.5, 0.5], metrics.PerClass.Select(c => c.Precision));
        Assert.Equal([2.0 / 3, 0.5, 1.0], metrics.PerClass.Select(c => c.Recall));
        Assert.Equal(0.8, metrics.PerClass[0].F1, 12);
        Assert.Equal([3, 2, 1], metrics.PerClass.Select(c => c.Support));
        Assert.Equal([2, 1, 0], metrics.ConfusionMatrix[0]);
        Assert.Equal([0, 1, 1], metrics.ConfusionMatrix[1]);
        Assert.Equal([0, 0, 1], metrics.ConfusionMatrix[2]);
    }

    [Fact]
    public void Compute_ClassNeverPredictedOrPresent_LeftOutOfMacroF1LikeScikitLearn()
    {
        // sklearn.metrics.f1_score([0, 0], [0, 0], average="macro") == 1.0: only labels that occur count.
        var metrics = ClassificationMetrics.Compute([0, 0], [0, 0], ["a", "b"]);

        Assert.Equal(1.0, metrics.Accuracy);
        Assert.Equal(0.0, metrics.PerClass[1].F1);
        Assert.Equal(1.0, metrics.MacroF1);
        Assert.Equal(0.5, metrics.MacroF1AllLabels);
    }

    [Fact]
    public void Compute_ClassOnlyPredicted_CountsInMacroF1()
    {
        // sklearn: f1_score([0, 0, 1], [0, 2, 1], average="macro") == (2/3 + 1 + 0) / 3
        var metrics = ClassificationMetrics.Compute([0, 0, 1], [0, 2, 1], ["a", "b", "c", "d"]);

        Assert.Equal((2.0 / 3 + 1 + 0) / 3, metrics.MacroF1, 12);
        Assert.Equal((2.0 / 3 + 1 + 0 + 0) / 4, metrics.MacroF1AllLabels!.Value, 12);
    }

    [Fact]
    public void Compute_LengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0], [0, 1], ["a", "b"]));
    }

    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        using var dir = new TestDirectory();
        var path = dir.File(MetricsFile.FileName);
        var report = new MetricsReport(
            ClassificationMetrics.Compute(Truth, Predicted, ["a", "b", "c"]),
            "validation",
            [new EpochRecord(1, 0.9, 0.8, 0.5, 0.4, 12.5)]);

        MetricsFile.Write(path, report);
        var read = MetricsFile.Read(path);

        Assert.Equal(report.Evaluation.Accuracy, read.Evaluation.Accuracy);
        Assert.Equal(report.Evaluation.ConfusionMatrix, read.Evaluation.ConfusionMatrix);
        Assert.Equal(report.Evaluation.PerClass, read.Evaluation.PerClass);
        Assert.Equal(report.History, read.History);
        Assert.Contains("\"macro_f1\"", File.ReadAllText(path));
    }

    [Fact]
    public void Read_NotJson_Throws()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("m.json"), "nope");

        Assert.Throws<InvalidDataException>(() => MetricsFile.Read(dir.File("m.json")));
    }
}
